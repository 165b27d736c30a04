/**
 * PyTorch `pytorch_model.bin` (torch.save's zip format, torch >= 1.6) reader with a RESTRICTED unpickler.
 *
 * Why a hand-written unpickler instead of the `pickleparser` npm package (evaluated at 0.2.1):
 * - its `nameResolver` option can be made to throw on unknown globals, but nothing restricts the OPCODES: it
 *   implements all of protocol 0-5, including INST/OBJ/NEWOBJ/NEWOBJ_EX (`Reflect.construct` on whatever the
 *   stack holds), EXT1-4, PERSID and out-of-band buffers;
 * - REDUCE calls `func(...args)` on any stack value and BUILD does `Object.assign(obj, state)` / calls an
 *   `obj.__setstate__` found on unpickled data, and dicts default to plain objects, so crafted keys such as
 *   `__proto__` or `__setstate__` reach JS semantics (prototype pollution, calling data as code);
 * - truncated input surfaces as a raw `RangeError` from DataView, and it writes to `console.warn`.
 * A torch state dict needs ~35 opcodes and ~20 globals; this file accepts exactly those. Globals are resolved
 * to inert markers (never to functions), an unknown global is refused at the GLOBAL/STACK_GLOBAL opcode itself,
 * before any later opcode is read, and REDUCE only dispatches on our own markers to pure builders that produce
 * plain descriptions (`TensorRef`). Nothing from the file is ever called, constructed or assigned onto a JS
 * object: dicts are `Map`s.
 */
import { WeightsError } from "../errors.js";
import {
  SOURCE_ITEM_SIZE,
  decodeRaw,
  numelOf,
  shapeToString,
  type HostDType,
  type SourceDType,
  type StateDict,
} from "./state-dict.js";
import { bytesSource, type ByteSource } from "./source.js";
import { getLimits, limitHint, type Limits } from "../limits.js";
import { openZip, readZipEntry, type ZipArchive } from "./zip.js";

// ---------------------------------------------------------------------------------------------------------------
// Unpickled values. Only these exist; nothing from the file becomes a function or a class instance of ours
// other than these inert records.

class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
class PyDict {
  readonly map = new Map<PyKey, PyValue>();
}
/** A whitelisted global, as a name only. */
class PyGlobal {
  constructor(readonly kind: GlobalKind, readonly fqn: string) {}
}
export class StorageRef {
  constructor(readonly key: string, readonly dtype: SourceDType, readonly numel: number, readonly location: string) {}
}
export class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}
type PyKey = string | number | boolean | null;
type PyValue = PyKey | PyValue[] | PyTuple | PyDict | PyGlobal | StorageRef | TensorRef;

type GlobalKind =
  | { t: "ordered_dict" }
  | { t: "rebuild_tensor"; version: 1 | 2 | 3 }
  | { t: "rebuild_parameter"; withState: boolean }
  | { t: "rebuild_from_type_v2" }
  | { t: "tensor_type" }
  | { t: "storage"; dtype: SourceDType }
  | { t: "dtype"; dtype: SourceDType };

const ALLOWED_GLOBALS: Record<string, GlobalKind> = {
  "collections.OrderedDict": { t: "ordered_dict" },
  "torch._utils._rebuild_tensor": { t: "rebuild_tensor", version: 1 },
  "torch._utils._rebuild_tensor_v2": { t: "rebuild_tensor", version: 2 },
  "torch._utils._rebuild_tensor_v3": { t: "rebuild_tensor", version: 3 },
  "torch._utils._rebuild_parameter": { t: "rebuild_parameter", withState: false },
  "torch._utils._rebuild_parameter_with_state": { t: "rebuild_parameter", withState: true },
  "torch._tensor._rebuild_from_type_v2": { t: "rebuild_from_type_v2" },
  "torch.Tensor": { t: "tensor_type" },
  "torch.nn.parameter.Parameter": { t: "tensor_type" },
  "torch.FloatStorage": { t: "storage", dtype: "F32" },
  "torch.HalfStorage": { t: "storage", dtype: "F16" },
  "torch.BFloat16Storage": { t: "storage", dtype: "BF16" },
  "torch.DoubleStorage": { t: "storage", dtype: "F64" },
  "torch.LongStorage": { t: "storage", dtype: "I64" },
  "torch.IntStorage": { t: "storage", dtype: "I32" },
  "torch.float32": { t: "dtype", dtype: "F32" },
  "torch.float": { t: "dtype", dtype: "F32" },
  "torch.float16": { t: "dtype", dtype: "F16" },
  "torch.half": { t: "dtype", dtype: "F16" },
  "torch.bfloat16": { t: "dtype", dtype: "BF16" },
  "torch.float64": { t: "dtype", dtype: "F64" },
  "torch.double": { t: "dtype", dtype: "F64" },
  "torch.int64": { t: "dtype", dtype: "I64" },
  "torch.long": { t: "dtype", dtype: "I64" },
  "torch.int32": { t: "dtype", dtype: "I32" },
  "torch.int": { t: "dtype", dtype: "I32" },
};

/** Known-dangerous names get a pointed hint; everything not in ALLOWED_GLOBALS is refused either way. */
const REFUSAL_HINTS = new Map<string, string>([["torch.storage._load_from_bytes", " (it runs torch.load on nested bytes)"]]);

// Opcodes (pickletools names).
const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  BINFLOAT: 0x47, // G
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

/** Names of opcodes we refuse, for clearer errors. */
const REFUSED_OPCODE_NAMES: Record<number, string> = {
  0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x46: "FLOAT", 0x49: "INT", 0x4c: "LONG", 0x50: "PERSID", 0x53: "STRING",
  0x54: "BINSTRING", 0x55: "SHORT_BINSTRING", 0x56: "UNICODE", 0x64: "DICT", 0x67: "GET", 0x69: "INST", 0x6c: "LIST",
  0x6f: "OBJ", 0x70: "PUT", 0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2",
  0x84: "EXT4", 0x8b: "LONG4", 0x8e: "BINBYTES8", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET",
  0x92: "NEWOBJ_EX", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
};

const MAX_LINE = 256;

function typeName(v: PyValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "None";
  if (Array.isArray(v)) return "list";
  if (v instanceof PyTuple) return "tuple";
  if (v instanceof PyDict) return "dict";
  if (v instanceof PyGlobal) return `global ${v.fqn}`;
  if (v instanceof StorageRef) return "storage";
  if (v instanceof TensorRef) return "tensor";
  return typeof v === "string" ? "str" : typeof v === "boolean" ? "bool" : "int/float";
}

export interface UnpickledStateDict {
  /** Pickled dict entries in order. */
  entries: Array<[string, TensorRef]>;
}

/**
 * Restricted unpickling of a torch state dict. `label` names the file in errors (e.g.
 * `pytorch_model.bin (archive/data.pkl)`), `fileName` is used for the refused-global message.
 */
export function unpickleStateDict(pkl: Uint8Array, fileName: string, label = fileName): UnpickledStateDict {
  const dv = new DataView(pkl.buffer, pkl.byteOffset, pkl.byteLength);
  let pos = 0;
  let opPos = 0;
  const fail = (msg: string): never => {
    throw new WeightsError(`${label}: ${msg} (pickle opcode at byte ${opPos})`);
  };
  const need = (n: number) => {
    if (pos + n > pkl.byteLength) fail(`pickle data ends early (needs ${n} more bytes at byte ${pos} of ${pkl.byteLength})`);
  };
  const u8 = () => (need(1), pkl[pos++]);
  const u16 = () => (need(2), (pos += 2), dv.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), dv.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), dv.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = dv.getUint32(pos, true) + dv.getUint32(pos + 4, true) * 2 ** 32;
    pos += 8;
    if (!Number.isSafeInteger(v)) fail("64-bit length out of range");
    return v;
  };
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const str = (n: number) => {
    need(n);
    try {
      return utf8.decode(pkl.subarray(pos, (pos += n)));
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  const line = () => {
    const end = pkl.indexOf(0x0a, pos);
    if (end < 0 && pkl.byteLength - pos <= MAX_LINE) fail("pickle data ends inside a GLOBAL name");
    if (end < 0 || end - pos > MAX_LINE) fail("GLOBAL name is not a short newline-terminated line");
    const s = str(end - pos);
    pos++;
    return s;
  };

  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  const pop = (): PyValue => {
    if (stack.length === 0) fail("pickle stack underflow");
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail("pickle stack underflow");
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) return fail("MARK missing");
    stack = prev;
    return items;
  };
  const resolveGlobal = (module: string, name: string): PyGlobal => {
    const fqn = `${module}.${name}`;
    const kind = Object.prototype.hasOwnProperty.call(ALLOWED_GLOBALS, fqn) ? ALLOWED_GLOBALS[fqn] : undefined;
    if (!kind) {
      throw new WeightsError(
        `${fileName}: refused pickle global "${fqn}"${REFUSAL_HINTS.get(fqn) ?? ""} at byte ${opPos} of ${label}; ` +
          `a state dict may only reference torch tensor/storage globals and collections.OrderedDict`,
      );
    }
    return new PyGlobal(kind, fqn);
  };
  const asInt = (v: PyValue, what: string): number => {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return fail(`${what} must be an integer, found ${typeName(v)}`);
    return v;
  };
  const asIntTuple = (v: PyValue, what: string): number[] => {
    if (!(v instanceof PyTuple)) return fail(`${what} must be a tuple, found ${typeName(v)}`);
    return v.items.map((x) => {
      const n = asInt(x, what);
      if (n < 0) fail(`${what} has a negative entry ${n}`);
      return n;
    });
  };
  const rebuildTensor = (args: PyValue[], version: 1 | 2 | 3): TensorRef => {
    const minArgs = version === 1 ? 4 : version === 2 ? 6 : 7;
    if (args.length < minArgs) fail(`tensor rebuild takes at least ${minArgs} arguments, found ${args.length}`);
    const storage = args[0];
    if (!(storage instanceof StorageRef)) return fail(`tensor storage must be a persistent storage reference, found ${typeName(storage)}`);
    const offset = asInt(args[1], "storage_offset");
    if (offset < 0) fail(`storage_offset ${offset} is negative`);
    const shape = asIntTuple(args[2], "size");
    const stride = asIntTuple(args[3], "stride");
    if (shape.length !== stride.length) fail(`size ${shapeToString(shape)} and stride ${shapeToString(stride)} differ in rank`);
    if (version === 3) {
      const d = args[6];
      if (!(d instanceof PyGlobal) || d.kind.t !== "dtype") return fail(`tensor dtype must be a torch dtype, found ${typeName(d)}`);
      if (d.kind.dtype !== storage.dtype) fail(`tensor dtype ${d.fqn} does not match its ${storage.dtype} storage`);
    }
    return new TensorRef(storage, offset, shape, stride);
  };
  const reduce = (fn: PyValue, argsV: PyValue): PyValue => {
    if (!(fn instanceof PyGlobal)) return fail(`REDUCE on a ${typeName(fn)}, which is not callable here`);
    if (!(argsV instanceof PyTuple)) return fail(`REDUCE arguments must be a tuple, found ${typeName(argsV)}`);
    const args = argsV.items;
    const k = fn.kind;
    switch (k.t) {
      case "ordered_dict": {
        const d = new PyDict();
        if (args.length > 1) fail("collections.OrderedDict takes at most one argument");
        if (args.length === 1) {
          const items = args[0];
          if (!Array.isArray(items)) return fail(`collections.OrderedDict argument must be a list of pairs, found ${typeName(items)}`);
          for (const it of items) {
            if (!(it instanceof PyTuple) || it.items.length !== 2) return fail("collections.OrderedDict items must be pairs");
            d.map.set(asKey(it.items[0]), it.items[1]);
          }
        }
        return d;
      }
      case "rebuild_tensor":
        return rebuildTensor(args, k.version);
      case "rebuild_parameter": {
        if (args.length !== (k.withState ? 4 : 3)) fail(`${fn.fqn} takes ${k.withState ? 4 : 3} arguments, found ${args.length}`);
        if (!(args[0] instanceof TensorRef)) return fail(`${fn.fqn} expects a tensor, found ${typeName(args[0])}`);
        return args[0];
      }
      case "rebuild_from_type_v2": {
        if (args.length !== 4) fail(`${fn.fqn} takes 4 arguments, found ${args.length}`);
        const [func, newType, inner] = args;
        if (!(func instanceof PyGlobal) || func.kind.t !== "rebuild_tensor") return fail(`${fn.fqn} may only wrap a torch tensor rebuild, found ${typeName(func)}`);
        if (!(newType instanceof PyGlobal) || newType.kind.t !== "tensor_type") return fail(`${fn.fqn} may only build torch.Tensor or Parameter, found ${typeName(newType)}`);
        return reduce(func, inner);
      }
      default:
        return fail(`${fn.fqn} is not callable`);
    }
  };
  const asKey = (v: PyValue): PyKey => {
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return fail(`dict key must be a str or number, found ${typeName(v)}`);
  };
  const setItems = (d: PyValue, kv: PyValue[]) => {
    if (!(d instanceof PyDict)) return fail(`SETITEM(S) on a ${typeName(d)}`);
    if (kv.length % 2) fail("SETITEMS with an odd number of items");
    for (let i = 0; i < kv.length; i += 2) d.map.set(asKey(kv[i]), kv[i + 1]);
  };
  const appendItems = (l: PyValue, items: PyValue[]) => {
    if (!Array.isArray(l)) return fail(`APPEND(S) on a ${typeName(l)}`);
    for (const it of items) l.push(it);
  };
  const storages = new Map<string, StorageRef>();

  for (;;) {
    opPos = pos;
    if (pos >= pkl.byteLength) fail("pickle data ends without STOP");
    const op = pkl[pos++];
    switch (op) {
      case OP.PROTO: {
        const v = u8();
        if (v < 2 || v > 5) fail(`unsupported pickle protocol ${v}`);
        break;
      }
      case OP.FRAME: {
        const n = u64();
        if (pos + n > pkl.byteLength) fail(`FRAME of ${n} bytes runs past the end`);
        break;
      }
      case OP.STOP: {
        const result = pop();
        if (!(result instanceof PyDict)) return fail(`the pickle holds a ${typeName(result)}, not a state dict`);
        const entries: Array<[string, TensorRef]> = [];
        for (const [k, v] of result.map) {
          if (typeof k !== "string") return fail(`state dict key ${String(k)} is not a string`);
          if (!(v instanceof TensorRef)) {
            return fail(`state dict entry "${k}" is a ${typeName(v)}, not a tensor (a training checkpoint rather than a model state dict?)`);
          }
          entries.push([k, v]);
        }
        return { entries };
      }
      case OP.MARK:
        metastack.push(stack);
        stack = [];
        break;
      case OP.EMPTY_DICT:
        stack.push(new PyDict());
        break;
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_TUPLE:
        stack.push(new PyTuple([]));
        break;
      case OP.TUPLE: {
        const items = popMark(); // before touching `stack`: popMark replaces it
        stack.push(new PyTuple(items));
        break;
      }
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = op - OP.TUPLE1 + 1;
        if (stack.length < n) fail("pickle stack underflow");
        stack.push(new PyTuple(stack.splice(stack.length - n, n)));
        break;
      }
      case OP.BINPUT:
        memo.set(u8(), top());
        break;
      case OP.LONG_BINPUT:
        memo.set(u32(), top());
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const i = op === OP.BINGET ? u8() : u32();
        if (!memo.has(i)) fail(`memo entry ${i} is not defined`);
        stack.push(memo.get(i) as PyValue);
        break;
      }
      case OP.BININT:
        stack.push(i32());
        break;
      case OP.BININT1:
        stack.push(u8());
        break;
      case OP.BININT2:
        stack.push(u16());
        break;
      case OP.LONG1: {
        const n = u8();
        if (n > 8) fail(`LONG1 of ${n} bytes is too large`);
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(pkl[pos + i]);
        if (n > 0 && pkl[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) fail(`integer ${v} is out of range`);
        stack.push(Number(v));
        break;
      }
      case OP.BINFLOAT:
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case OP.BINUNICODE:
        stack.push(str(u32()));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(str(u8()));
        break;
      case OP.BINUNICODE8:
        stack.push(str(u64()));
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case OP.SETITEMS: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case OP.APPEND: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case OP.GLOBAL: {
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") return fail("STACK_GLOBAL needs two strings");
        stack.push(resolveGlobal(module, name));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const obj = top();
        // Only an OrderedDict's instance attributes (state_dict()._metadata) are expected; they are ignored.
        if (!(obj instanceof PyDict)) return fail(`BUILD on a ${typeName(obj)} is not allowed`);
        if (!(state === null || state instanceof PyDict || state instanceof PyTuple)) fail(`BUILD state must be a dict, found ${typeName(state)}`);
        break;
      }
      case OP.BINPERSID: {
        const pid = pop();
        if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== "storage") {
          return fail(`persistent id must be ('storage', type, key, location, numel), found ${typeName(pid)}`);
        }
        const [, type, key, location, numelV] = pid.items;
        let dtype: SourceDType;
        if (type instanceof PyGlobal && (type.kind.t === "storage" || type.kind.t === "dtype")) dtype = type.kind.dtype;
        else return fail(`storage type must be a torch storage class, found ${typeName(type)}`);
        if (typeof key !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(key) || key.includes("..")) return fail(`storage key ${JSON.stringify(key)} is not valid`);
        if (typeof location !== "string") return fail("storage location must be a string");
        const numel = asInt(numelV, "storage numel");
        if (numel < 0) fail(`storage numel ${numel} is negative`);
        const prev = storages.get(key);
        if (prev && (prev.dtype !== dtype || prev.numel !== numel)) fail(`storage "${key}" is referenced with two different types or sizes`);
        const ref = prev ?? new StorageRef(key, dtype, numel, location);
        storages.set(key, ref);
        stack.push(ref);
        break;
      }
      default: {
        const name = REFUSED_OPCODE_NAMES[op];
        const ch = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : "";
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")}${ch}${name ? ` (${name})` : ""}; only the opcodes of a torch state dict are accepted`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The zip container.

export interface TorchCheckpoint {
  tensors: StateDict;
  sourceDtypes: Set<SourceDType>;
}

const PK = [0x50, 0x4b, 0x03, 0x04];

/** A torch.save zip checkpoint with its pickle read: tensor name → view of a storage, and the archive. */
export interface OpenTorchCheckpoint {
  zip: ZipArchive;
  /** The archive's folder prefix, e.g. "archive/". */
  prefix: string;
  /** Tensor name → storage view, in pickle order. */
  entries: Array<[string, TensorRef]>;
}

/**
 * Checks the zip signature and byte order and unpickles `data.pkl`; reads no tensor data. The views are checked
 * against the storages' sizes here (`checkViewBudget`), so every reader of the entries gets bounded output.
 */
export async function openTorchCheckpoint(src: ByteSource, opts: { limits?: Partial<Limits> } = {}): Promise<OpenTorchCheckpoint> {
  const name = src.name;
  const limits = getLimits(opts.limits);
  const head = await src.read(0, Math.min(src.size, 4));
  if (head.length < 4 || !PK.every((b, i) => head[i] === b)) {
    if (head[0] === 0x80) {
      throw new WeightsError(
        `${name}: legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a recent torch or convert it to safetensors`,
      );
    }
    throw new WeightsError(`${name}: not a torch.save zip archive (no zip signature)`);
  }
  const zip = await openZip(src, { limits: opts.limits });
  const pklNames = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pklNames.length !== 1) {
    throw new WeightsError(`${name}: expected exactly one "<archive>/data.pkl" in the zip, found ${pklNames.length ? pklNames.join(", ") : "none"}`);
  }
  const prefix = pklNames[0].slice(0, -"data.pkl".length);
  const byteorder = zip.entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const bo = new TextDecoder().decode(await readZipEntry(zip, byteorder)).trim();
    if (bo !== "little") throw new WeightsError(`${name}: byteorder "${bo}" is not supported (only little-endian checkpoints)`);
  }
  const pkl = await readZipEntry(zip, zip.entries.get(pklNames[0])!, true);
  const { entries } = unpickleStateDict(pkl, name, `${name} (${pklNames[0]})`);
  checkViewBudget(entries, name, limits.maxViewAmplification);
  return { zip, prefix, entries };
}

/** Reads a torch.save zip checkpoint holding a state dict. */
export async function readTorchCheckpoint(
  src: ByteSource,
  opts: { dtype?: HostDType; onProgress?: (loaded: number, total: number) => void; limits?: Partial<Limits> } = {},
): Promise<TorchCheckpoint> {
  const target = opts.dtype ?? "f32";
  const name = src.name;
  const { zip, prefix, entries } = await openTorchCheckpoint(src, opts);

  // Read each storage once, in archive order, then cut the tensors out of it.
  const byStorage = new Map<string, Array<[string, TensorRef]>>();
  for (const [k, t] of entries) {
    const list = byStorage.get(t.storage.key) ?? [];
    list.push([k, t]);
    byStorage.set(t.storage.key, list);
  }
  const keys = [...byStorage.keys()].map((key) => {
    const entryName = `${prefix}data/${key}`;
    const e = zip.entries.get(entryName);
    if (!e) {
      const users = byStorage.get(key)!.map(([k]) => `"${k}"`).join(", ");
      throw new WeightsError(`${name}: storage entry "${entryName}" (used by tensor ${users}) is missing from the zip`);
    }
    return { key, entry: e };
  });
  keys.sort((a, b) => a.entry.localHeaderOffset - b.entry.localHeaderOffset);
  const decoded = new Map<string, ReturnType<typeof decodeRaw>>();
  const sourceDtypes = new Set<SourceDType>();
  opts.onProgress?.(0, src.size);
  for (const { key, entry } of keys) {
    const refs = byStorage.get(key)!;
    const storage = refs[0][1].storage;
    const itemSize = SOURCE_ITEM_SIZE[storage.dtype];
    const bytes = await readZipEntry(zip, entry);
    if (bytes.byteLength < storage.numel * itemSize) {
      throw new WeightsError(
        `${name}: storage "${entry.name}" holds ${bytes.byteLength} bytes, but ${storage.numel} ${storage.dtype} elements need ${storage.numel * itemSize}`,
      );
    }
    for (const [k, t] of refs) {
      const what = `${name}: tensor "${k}"`;
      decoded.set(k, decodeRaw(tensorBytes(bytes, t, itemSize, what), storage.dtype, t.shape, target, what));
      sourceDtypes.add(storage.dtype);
    }
    opts.onProgress?.(entry.localHeaderOffset + entry.compressedSize, src.size);
  }
  const tensors: StateDict = new Map();
  for (const [k] of entries) tensors.set(k, decoded.get(k)!);
  opts.onProgress?.(src.size, src.size);
  return { tensors, sourceDtypes };
}

/**
 * Decoded bytes must be justified by the file: a view may not have more elements than its storage (only stride-0
 * or self-overlapping views do, and no model state dict has them), and all views together may decode at most
 * `maxAmplification` times the bytes of the storages they view (tied weights share a storage: 2-3 views).
 * Checked on the pickle alone, before any storage is read or any output allocated.
 */
function checkViewBudget(entries: Array<[string, TensorRef]>, name: string, maxAmplification: number): void {
  const storageBytes = new Map<string, number>();
  let viewBytes = 0;
  for (const [k, t] of entries) {
    const itemSize = SOURCE_ITEM_SIZE[t.storage.dtype];
    const numel = numelOf(t.shape);
    if (!Number.isSafeInteger(numel) || numel > t.storage.numel) {
      throw new WeightsError(
        `${name}: tensor "${k}": size ${shapeToString(t.shape)} (stride ${shapeToString(t.stride)}) has ${numel} elements, more than its storage "${t.storage.key}" holds (${t.storage.numel}); aliasing (stride-0) views are refused`,
      );
    }
    storageBytes.set(t.storage.key, t.storage.numel * itemSize);
    viewBytes += numel * itemSize;
  }
  let total = 0;
  for (const b of storageBytes.values()) total += b;
  if (viewBytes > maxAmplification * total + 4096) {
    throw new WeightsError(
      `${name}: the state dict's tensors view ${viewBytes} bytes of ${total} bytes of storage, more than ${maxAmplification}× (many tensors aliasing one storage); ${limitHint("maxViewAmplification", maxAmplification)}`,
    );
  }
}

/** The bytes of a (possibly strided) tensor view of a storage, contiguous. */
export function tensorBytes(storage: Uint8Array, t: TensorRef, itemSize: number, what: string): Uint8Array {
  const numel = numelOf(t.shape);
  const storageNumel = t.storage.numel;
  if (numel === 0) return new Uint8Array(0);
  let maxIndex = t.offset;
  for (let d = 0; d < t.shape.length; d++) maxIndex += (t.shape[d] - 1) * t.stride[d];
  if (!Number.isSafeInteger(maxIndex) || maxIndex >= storageNumel) {
    throw new WeightsError(
      `${what}: size ${shapeToString(t.shape)}, stride ${shapeToString(t.stride)} at offset ${t.offset} reach element ${maxIndex}, past the storage's ${storageNumel} elements`,
    );
  }
  // Contiguous (row-major) strides; dimensions of size 1 may carry any stride.
  let expect = 1;
  let contiguous = true;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d];
  }
  if (contiguous) return storage.subarray(t.offset * itemSize, (t.offset + numel) * itemSize);
  // Gather a strided view element by element.
  const out = new Uint8Array(numel * itemSize);
  const rank = t.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = t.offset;
  for (let i = 0; i < numel; i++) {
    out.set(storage.subarray(src * itemSize, (src + 1) * itemSize), i * itemSize);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += t.stride[d];
      if (idx[d] < t.shape[d]) break;
      src -= t.stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Parses a whole `pytorch_model.bin` held in memory. */
export async function parseTorchCheckpoint(bytes: Uint8Array, fileName: string, opts: { dtype?: HostDType } = {}): Promise<TorchCheckpoint> {
  return readTorchCheckpoint(bytesSource(bytes, fileName), opts);
}
