import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { memoryFiles, type ModelFiles } from "../../src/files.js";
import { directoryFiles } from "../../src/node/files.js";
import { loadStateDict, parseTorchCheckpoint } from "../../src/weights/index.js";
import { zipSync } from "fflate";
import { writeZip } from "../../src/weights/zip.js";
import { expectError, f32Bytes, MALFORMED, PickleWriter, stateDictPickle, TINY, torchZip } from "./helpers.js";

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** ModelFiles over bytes with ranged reads, recording every range read. */
function spyFiles(files: Record<string, Uint8Array>): ModelFiles & { reads: Array<[string, number, number]> } {
  const mem = memoryFiles(files, "/spy");
  const reads: Array<[string, number, number]> = [];
  return {
    ...mem,
    reads,
    async readRange(name, start, end) {
      reads.push([name, start, end]);
      return (await mem.read(name)).slice(start, end);
    },
    size: mem.size!,
  };
}

describe("pytorch_model.bin (torch.save zip)", () => {
  it("tiny-v3 pytorch_model.bin equals model.safetensors exactly", async () => {
    const st = (await loadStateDict(directoryFiles(TINY))).stateDict;
    const bin = await loadStateDict(directoryFiles(TINY), { preferSafetensors: false });
    expect(bin.files).toEqual(["pytorch_model.bin"]);
    expect(bin.format).toBe("pytorch");
    expect([...bin.sourceDtypes]).toEqual(["F32"]);
    expect([...bin.stateDict.keys()].sort()).toEqual([...st.keys()].sort());
    for (const [k, t] of bin.stateDict) {
      expect(t.shape, k).toEqual(st.get(k)!.shape);
      expect(t.data, k).toEqual(st.get(k)!.data);
    }
    // the in-memory parser agrees, and f16 conversion works on this path too
    const mem = await parseTorchCheckpoint(u8(readFileSync(`${TINY}/pytorch_model.bin`)), "pytorch_model.bin", { dtype: "f16" });
    const fp16 = (await loadStateDict(directoryFiles(TINY), { variant: "fp16", dtype: "f16" })).stateDict;
    for (const [k, t] of mem.tensors) expect(t.data, k).toEqual(fp16.get(k)!.data);
  });

  it("OrderedDict with _metadata (BUILD), storage offsets, shared storages, non-contiguous strides, F16/BF16/F64/I64 storages", async () => {
    const storage0 = f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const half = new Uint8Array(new Uint16Array([0x3c00, 0x4000, 0xc200]).buffer);
    const bf = new Uint8Array(new Uint16Array([0x3f80, 0x4040]).buffer);
    const dbl = new Uint8Array(new Float64Array([0.5, -1.25]).buffer);
    const lng = new Uint8Array(new BigInt64Array([0n, 1n, 2n]).buffer);
    const pkl = stateDictPickle(
      [
        { key: "full", storageKey: "0", numel: 12, size: [3, 4] },
        { key: "slice", storageKey: "0", numel: 12, offset: 4, size: [2, 4] }, // rows 1..2
        { key: "transposed", storageKey: "0", numel: 12, size: [4, 3], stride: [1, 4] },
        { key: "expanded", storageKey: "0", numel: 12, offset: 2, size: [2, 3], stride: [0, 1] },
        { key: "h", storageKey: "1", storageType: "HalfStorage", numel: 3, size: [3] },
        { key: "b", storageKey: "2", storageType: "BFloat16Storage", numel: 2, size: [2] },
        { key: "d", storageKey: "3", storageType: "DoubleStorage", numel: 2, size: [1, 2] },
        { key: "embeddings.position_ids", storageKey: "4", storageType: "LongStorage", numel: 3, size: [1, 3] },
        { key: "scalar", storageKey: "0", numel: 12, offset: 11, size: [] },
      ],
      { ordered: true },
    );
    const zip = torchZip(pkl, { "0": storage0, "1": half, "2": bf, "3": dbl, "4": lng });
    const { stateDict, sourceDtypes } = await loadStateDict(spyFiles({ "pytorch_model.bin": zip }));
    const get = (k: string) => Array.from(stateDict.get(k)!.data);
    expect(get("full")).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(get("slice")).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(get("transposed")).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(stateDict.get("transposed")!.shape).toEqual([4, 3]);
    expect(get("expanded")).toEqual([2, 3, 4, 2, 3, 4]);
    expect(get("h")).toEqual([1, 2, -3]);
    expect(get("b")).toEqual([1, 3]);
    expect(get("d")).toEqual([0.5, -1.25]);
    expect(get("embeddings.position_ids")).toEqual([0, 1, 2]);
    expect(stateDict.get("scalar")).toEqual({ dtype: "f32", shape: [], data: Float32Array.from([11]) });
    expect([...stateDict.keys()][0]).toBe("full");
    expect([...sourceDtypes].sort()).toEqual(["BF16", "F16", "F32", "F64", "I64"]);
  });

  it("_rebuild_parameter and STACK_GLOBAL/MEMOIZE (protocol 4) are accepted", async () => {
    const w = new PickleWriter().proto(4).emptyDict().op(0x94).mark().str("p");
    w.str("torch._utils").str("_rebuild_parameter").op(0x93); // STACK_GLOBAL
    w.global("torch._utils", "_rebuild_tensor_v2").mark();
    w.mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").int(2).tuple().binpersid();
    w.int(0).intTuple([2]).intTuple([1]).newfalse().global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
    w.op(0x88).global("collections", "OrderedDict").emptyTuple().reduce().op(0x87).reduce(); // (tensor, True, OrderedDict()) TUPLE3
    w.setitems().stop();
    const { tensors } = await parseTorchCheckpoint(torchZip(w.toBytes(), { "0": f32Bytes([7, 8]) }), "param.bin");
    expect(Array.from(tensors.get("p")!.data)).toEqual([7, 8]);
  });
});

describe("pytorch_model.bin: zip variants", () => {
  const pkl = () => stateDictPickle([{ key: "w", storageKey: "0", numel: 3, size: [3] }]);

  it("ZIP64 end-of-directory records and ZIP64 extra fields", async () => {
    const zip = writeZip([["a/data.pkl", pkl()], ["a/data/0", f32Bytes([1, 2, 3])], ["a/version", new Uint8Array([0x33])]], { zip64: true });
    const { tensors } = await parseTorchCheckpoint(zip, "z64.bin");
    expect(Array.from(tensors.get("w")!.data)).toEqual([1, 2, 3]);
  });

  it("a zip written by another tool (fflate) with a deflated data.pkl and storage", async () => {
    const zip = zipSync({ "m/data.pkl": [pkl(), { level: 9 }], "m/data/0": [f32Bytes([4, 5, 6]), { level: 6 }], "m/version": new Uint8Array([0x33]) });
    const { tensors } = await parseTorchCheckpoint(zip, "deflate.bin");
    expect(Array.from(tensors.get("w")!.data)).toEqual([4, 5, 6]);
  });
});

describe("pytorch_model.bin: refusing unsafe pickles", () => {
  const MARKER = "/tmp/deberta-js-pickle-was-executed";

  it("a Python-made pickle reducing posix.system is refused with the global's name", async () => {
    const files = spyFiles({ "pytorch_model.bin": u8(readFileSync(`${MALFORMED}/pickle-os-system/pytorch_model.bin`)) });
    const e = await expectError(loadStateDict(files), "WEIGHTS_INVALID", 'pytorch_model.bin: refused pickle global "posix.system"', "at byte 45 of");
    // refused at the GLOBAL opcode (byte 45 in the pickletools listing), before the REDUCE at byte 112
    expect(e.message).not.toContain("REDUCE");
    expect(existsSync(MARKER)).toBe(false);
  });

  it("protocol 4 STACK_GLOBAL builtins.eval is refused", async () => {
    const dir = directoryFiles(`${MALFORMED}/pickle-eval-proto4`);
    await expectError(loadStateDict(dir), "WEIGHTS_INVALID", 'pytorch_model.bin: refused pickle global "builtins.eval"');
    expect(existsSync(MARKER)).toBe(false);
  });

  it("refuses before reading anything further: a GLOBAL 'os system' followed by garbage, and no storage is read", async () => {
    for (const [mod, name] of [["os", "system"], ["posix", "system"], ["subprocess", "Popen"], ["builtins", "getattr"], ["torch.storage", "_load_from_bytes"], ["torch", "load"], ["numpy.core.multiarray", "_reconstruct"]]) {
      const w = new PickleWriter().proto(2).emptyDict().mark().str("w");
      const at = w.length;
      w.global(mod, name).op(0xff, 0xfe); // invalid opcodes right after: never reached
      const zip = torchZip(w.toBytes(), { "0": f32Bytes([1, 2, 3]) });
      const files = spyFiles({ "pytorch_model.bin": zip });
      const e = await expectError(loadStateDict(files), "WEIGHTS_INVALID", `pytorch_model.bin: refused pickle global "${mod}.${name}"`, `at byte ${at} of`);
      if (name === "_load_from_bytes") expect(e.message).toContain("runs torch.load");
      // only the zip directory and data.pkl were read: the storage entry "archive/data/0" never was
      const dataOffset = findEntryData(zip, "archive/data/0");
      expect(files.reads.some(([, s]) => s === dataOffset)).toBe(false);
    }
  });

  it("(control) a valid checkpoint does read its storage entry with exactly that ranged read", async () => {
    const zip = torchZip(stateDictPickle([{ key: "w", storageKey: "0", numel: 3, size: [3] }]), { "0": f32Bytes([1, 2, 3]) });
    const files = spyFiles({ "pytorch_model.bin": zip });
    const { stateDict } = await loadStateDict(files);
    expect(Array.from(stateDict.get("w")!.data)).toEqual([1, 2, 3]);
    const dataOffset = findEntryData(zip, "archive/data/0");
    expect(files.reads.some(([, s, e]) => s === dataOffset && e === dataOffset + 12)).toBe(true);
  });

  it("a global is refused even when never called (no REDUCE)", async () => {
    const w = new PickleWriter().proto(2).global("os", "system").stop();
    await expectError(parseTorchCheckpoint(torchZip(w.toBytes(), {}), "pytorch_model.bin"), "WEIGHTS_INVALID", 'refused pickle global "os.system"');
  });

  it("unknown and unsupported opcodes are refused with their byte position", async () => {
    const bad = new PickleWriter().proto(2).emptyDict().op(0xfa).stop();
    await expectError(parseTorchCheckpoint(torchZip(bad.toBytes(), {}), "pytorch_model.bin"), "WEIGHTS_INVALID", "pytorch_model.bin (archive/data.pkl)", "unsupported pickle opcode 0xfa", "at byte 3");
    // INST/OBJ/NEWOBJ: constructors are never allowed
    for (const [op, label] of [[0x81, "NEWOBJ"], [0x69, "INST"], [0x6f, "OBJ"], [0x92, "NEWOBJ_EX"], [0x82, "EXT1"]] as const) {
      const w = new PickleWriter().proto(2).global("collections", "OrderedDict").emptyTuple().op(op).stop();
      await expectError(parseTorchCheckpoint(torchZip(w.toBytes(), {}), "pytorch_model.bin"), "WEIGHTS_INVALID", `(${label})`);
    }
  });

  it("REDUCE on non-callables, BUILD on tensors and truncated pickles are errors", async () => {
    const notCallable = new PickleWriter().proto(2).global("torch", "FloatStorage").emptyTuple().reduce().stop();
    await expectError(parseTorchCheckpoint(torchZip(notCallable.toBytes(), {}), "x.bin"), "WEIGHTS_INVALID", "torch.FloatStorage is not callable");
    const strCall = new PickleWriter().proto(2).str("os.system").emptyTuple().reduce().stop();
    await expectError(parseTorchCheckpoint(torchZip(strCall.toBytes(), {}), "x.bin"), "WEIGHTS_INVALID", "REDUCE on a str");
    const trunc = stateDictPickle([{ key: "w", storageKey: "0", numel: 1, size: [1] }]).slice(0, 40);
    await expectError(parseTorchCheckpoint(torchZip(trunc, { "0": f32Bytes([1]) }), "x.bin"), "WEIGHTS_INVALID", "x.bin (archive/data.pkl)", "ends");
    const notDict = new PickleWriter().proto(2).emptyTuple().stop();
    await expectError(parseTorchCheckpoint(torchZip(notDict.toBytes(), {}), "x.bin"), "WEIGHTS_INVALID", "not a state dict");
  });
});

/** Offset of an entry's data in a zip we wrote with writeZip (local header + name + extra). */
function findEntryData(zip: Uint8Array, name: string): number {
  const enc = new TextEncoder().encode(name);
  for (let i = 0; i + 30 < zip.length; i++) {
    if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 3 && zip[i + 3] === 4) {
      const dv = new DataView(zip.buffer, zip.byteOffset);
      const n = dv.getUint16(i + 26, true);
      const x = dv.getUint16(i + 28, true);
      if (n === enc.length && enc.every((b, j) => zip[i + 30 + j] === b)) return i + 30 + n + x;
    }
  }
  throw new Error(`no entry ${name}`);
}

describe("pytorch_model.bin: malformed archives", () => {
  it("a storage entry missing from the zip is named", async () => {
    const pkl = stateDictPickle([
      { key: "a", storageKey: "0", numel: 2, size: [2] },
      { key: "encoder.layer.0.output.dense.weight", storageKey: "1", numel: 2, size: [2] },
    ]);
    await expectError(
      parseTorchCheckpoint(torchZip(pkl, { "0": f32Bytes([1, 2]) }), "pytorch_model.bin"),
      "WEIGHTS_INVALID",
      'pytorch_model.bin: storage entry "archive/data/1"',
      '"encoder.layer.0.output.dense.weight"',
      "missing",
    );
  });

  it("a storage smaller than its numel, and a view past the storage", async () => {
    const pkl = stateDictPickle([{ key: "w", storageKey: "0", numel: 4, size: [4] }]);
    await expectError(parseTorchCheckpoint(torchZip(pkl, { "0": f32Bytes([1, 2]) }), "p.bin"), "WEIGHTS_INVALID", 'storage "archive/data/0" holds 8 bytes');
    const past = stateDictPickle([{ key: "w", storageKey: "0", numel: 2, offset: 1, size: [2] }]);
    await expectError(parseTorchCheckpoint(torchZip(past, { "0": f32Bytes([1, 2]) }), "p.bin"), "WEIGHTS_INVALID", 'p.bin: tensor "w"', "past the storage");
  });

  it("not a zip / legacy format / truncated zip / big-endian byteorder / no data.pkl", async () => {
    await expectError(parseTorchCheckpoint(new Uint8Array([1, 2, 3, 4, 5]), "a.bin"), "WEIGHTS_INVALID", "a.bin: not a torch.save zip archive");
    await expectError(parseTorchCheckpoint(new Uint8Array([0x80, 2, 0x8a, 10]), "old.bin"), "WEIGHTS_INVALID", "old.bin: legacy (pre-1.6");
    const zip = torchZip(stateDictPickle([{ key: "w", storageKey: "0", numel: 1, size: [1] }]), { "0": f32Bytes([1]) });
    await expectError(parseTorchCheckpoint(zip.slice(0, zip.length - 30), "cut.bin"), "WEIGHTS_INVALID", "cut.bin: corrupt zip archive");
    // central directory pointing past the end
    const lying = zip.slice();
    new DataView(lying.buffer).setUint32(lying.length - 6, 0x7fffff00, true);
    await expectError(parseTorchCheckpoint(lying, "cd.bin"), "WEIGHTS_INVALID", "cd.bin: corrupt zip archive", "outside the file");
    const be = writeZip([["archive/data.pkl", stateDictPickle([])], ["archive/byteorder", new TextEncoder().encode("big")]]);
    await expectError(parseTorchCheckpoint(be, "be.bin"), "WEIGHTS_INVALID", 'be.bin: byteorder "big"');
    await expectError(parseTorchCheckpoint(writeZip([["x/y.txt", new Uint8Array(1)]]), "nopkl.bin"), "WEIGHTS_INVALID", "nopkl.bin", "data.pkl");
    // corrupted data.pkl fails its CRC
    const crc = zip.slice();
    crc[findEntryData(crc, "archive/data.pkl") + 5] ^= 0xff;
    await expectError(parseTorchCheckpoint(crc, "crc.bin"), "WEIGHTS_INVALID", "crc.bin", "CRC-32");
  });
});
