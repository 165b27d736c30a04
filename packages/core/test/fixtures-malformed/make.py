# Regenerates the malicious torch.save-style checkpoints in this folder with the standard library only
# (no torch). The tests read the committed files and never run this script.
#   python3 make.py
import os
import pickle
import zipfile

MARKER = "/tmp/deberta-js-pickle-was-executed"


class RunsShell:
    """Unpickling this with Python's pickle would call os.system (posix.system on Linux)."""

    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


class RunsEval:
    """Unpickling this with Python's pickle would call builtins.eval."""

    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {MARKER}')",))


def write(folder, obj, protocol):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "pytorch_model.bin")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps(obj, protocol=protocol))
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    print(path, os.path.getsize(path))


here = os.path.dirname(os.path.abspath(__file__))
# protocol 2 (torch.save's default): GLOBAL 'posix system' + REDUCE
write(os.path.join(here, "pickle-os-system"), {"embeddings.word_embeddings.weight": RunsShell()}, 2)
# protocol 4: FRAME, STACK_GLOBAL 'builtins' 'eval', MEMOIZE
write(os.path.join(here, "pickle-eval-proto4"), {"embeddings.word_embeddings.weight": RunsEval()}, 4)
