#!/usr/bin/env python3
"""The Hugging Face side of scripts/gpu-check.mjs: builds each model with random weights (seeded), saves them for
deberta-js (`save_pretrained`, F16 safetensors, so both sides run the very same weights), then times
transformers' own `DebertaV2Model` in fp16 on the same inputs, and saves a few outputs for a numerical comparison.

Input: --spec spec.json written by gpu-check.mjs:
  { "models": [ { "name", "config", "dir", "seed" } ],
    "workloads": [ { "name", "kind": "fixed", "batch", "seq", "warmup", "runs", "save" }
                 | { "name", "kind": "pairs", "lengths": [[len, ...] per batch], "warmup_batches", "save_first" } ] }
Output: --result result.json with timings per model and workload (milliseconds, real and padded token counts).

Token ids (the same formula in gpu-check.mjs): sequence s of length n is [1, t_1 .. t_{n-2}, 2] with
t_p = 3 + ((s * 1009 + p * 7919) % min(8000, vocab_size - 3)); a pair puts a 2 after its first segment. Padding id 0, mask 0.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import transformers
from transformers import DebertaV2Config, DebertaV2Model


def seq_ids(s, n, vocab, split=None):
    mod = min(8000, vocab - 3)
    ids = [3 + ((s * 1009 + p * 7919) % mod) for p in range(n)]
    ids[0] = 1
    ids[n - 1] = 2
    if split is not None and 0 < split < n - 1:
        ids[split] = 2
    return ids


def batch_tensors(rows):
    """rows: list of id lists -> (input_ids, attention_mask) int64 CPU tensors, right padded."""
    L = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), L), dtype=torch.int64)
    mask = torch.zeros((len(rows), L), dtype=torch.int64)
    for b, r in enumerate(rows):
        ids[b, : len(r)] = torch.tensor(r, dtype=torch.int64)
        mask[b, : len(r)] = 1
    return ids, mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--result", required=True)
    a = ap.parse_args()
    spec = json.load(open(a.spec))
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    res = {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "gpu": torch.cuda.get_device_name(0),
        "models": {},
    }
    for m in spec["models"]:
        t0 = time.perf_counter()
        cfg = DebertaV2Config.from_json_file(m["config"])
        torch.manual_seed(m.get("seed", 0))
        with torch.device("cuda"):
            model = DebertaV2Model(cfg)
        model = model.half().eval()
        os.makedirs(m["dir"], exist_ok=True)
        try:
            model.save_pretrained(m["dir"], safe_serialization=True)
        except TypeError:  # transformers versions where safetensors is the only format
            model.save_pretrained(m["dir"])
        build_s = time.perf_counter() - t0
        print(f"[hf] {m['name']}: built and saved in {build_s:.1f}s ({sum(p.numel() for p in model.parameters()) / 1e6:.0f}M parameters)", flush=True)
        out = {"build_s": build_s, "workloads": {}}

        def forward(ids, mask):
            return model(input_ids=ids.to(dev, non_blocking=True), attention_mask=mask.to(dev, non_blocking=True)).last_hidden_state

        with torch.inference_mode():
            for w in spec["workloads"]:
                if w["kind"] == "fixed":
                    B, L = w["batch"], w["seq"]
                    ids, mask = batch_tensors([seq_ids(s, L, cfg.vocab_size) for s in range(B)])
                    for _ in range(w["warmup"]):
                        forward(ids, mask)
                    torch.cuda.synchronize()
                    times = []
                    for _ in range(w["runs"]):
                        t = time.perf_counter()
                        forward(ids, mask)
                        torch.cuda.synchronize()
                        times.append((time.perf_counter() - t) * 1e3)
                    r = {"ms": statistics.median(times), "runs_ms": times, "tokens": B * L, "padded_tokens": B * L}
                    if w.get("save"):
                        path = os.path.join(m["dir"], f"out-{w['name']}.f32")
                        forward(ids, mask).float().cpu().numpy().tofile(path)
                        r["output"] = path
                else:
                    batches = []
                    s = 0
                    for lens in w["lengths"]:
                        rows = []
                        for n in lens:
                            rows.append(seq_ids(s, n, cfg.vocab_size, split=n // 2))
                            s += 1
                        batches.append(batch_tensors(rows))
                    for ids, mask in batches[: w["warmup_batches"]]:
                        forward(ids, mask)
                    torch.cuda.synchronize()
                    t = time.perf_counter()
                    for ids, mask in batches:
                        forward(ids, mask)
                    torch.cuda.synchronize()
                    total = (time.perf_counter() - t) * 1e3
                    real = sum(sum(l) for l in w["lengths"])
                    padded = sum(int(ids.numel()) for ids, _ in batches)
                    r = {"ms": total, "tokens": real, "padded_tokens": padded, "batches": len(batches)}
                    if w.get("save_first"):
                        path = os.path.join(m["dir"], f"out-{w['name']}-batch0.f32")
                        forward(*batches[0]).float().cpu().numpy().tofile(path)
                        r["output"] = path
                        r["output_shape"] = list(batches[0][0].shape) + [cfg.hidden_size]
                out["workloads"][w["name"]] = r
                print(f"[hf] {m['name']} {w['name']}: {r['ms']:.2f} ms", flush=True)
        res["models"][m["name"]] = out
        del model
        torch.cuda.empty_cache()
    json.dump(res, open(a.result, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
