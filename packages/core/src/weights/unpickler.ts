/**
 * The restricted unpickler of a torch state dict (see `torch-pickle.ts` for why it is hand-written): ~35 opcodes and
 * ~20 whitelisted globals. Globals resolve to inert markers, an unknown global is refused at the GLOBAL /
 * STACK_GLOBAL opcode itself, and REDUCE only dispatches on our own markers to pure builders that produce plain
 * descriptions (`TensorRef`). Nothing from the file is ever called, constructed or assigned onto a JS object.
 */
import { WeightsError } from "../errors.js";
import { OP, REFUSED_OPCODE_NAMES } from "./pickle-opcodes.js";
import { PickleReader } from "./pickle-reader.js";
import { ALLOWED_GLOBALS, PyDict, PyGlobal, type PyKey, PyTuple, type PyValue, REFUSAL_HINTS, StorageRef, TensorRef, typeName } from "./pickle-values.js";
import { type SourceDType, shapeToString } from "./state-dict.js";

export interface UnpickledStateDict {
  /** Pickled dict entries in order. */
  entries: Array<[string, TensorRef]>;
}

/**
 * Restricted unpickling of a torch state dict. `label` names the file in errors (e.g.
 * `pytorch_model.bin (archive/data.pkl)`), `fileName` is used for the refused-global message.
 */
export function unpickleStateDict(pkl: Uint8Array, fileName: string, label = fileName): UnpickledStateDict {
  return new StateDictUnpickler(new PickleReader(pkl, label), fileName).run();
}

class StateDictUnpickler {
  private stack: PyValue[] = [];
  private readonly metastack: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly storages = new Map<string, StorageRef>();

  constructor(
    private readonly r: PickleReader,
    private readonly fileName: string,
  ) {}

  run(): UnpickledStateDict {
    const r = this.r;
    for (;;) {
      r.opPos = r.pos;
      if (r.atEnd) r.fail("pickle data ends without STOP");
      const op = r.bytes[r.pos++];
      if (op === OP.STOP) return this.stateDict(this.pop());
      if (this.frameOp(op) || this.stackOp(op) || this.scalarOp(op) || this.objectOp(op)) continue;
      const name = REFUSED_OPCODE_NAMES[op];
      const ch = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : "";
      r.fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")}${ch}${name ? ` (${name})` : ""}; only the opcodes of a torch state dict are accepted`);
    }
  }

  // ── opcode groups (each returns false for opcodes it does not handle) ───────────────────────────────────────

  /** PROTO, FRAME: framing only. */
  private frameOp(op: number): boolean {
    const r = this.r;
    if (op === OP.PROTO) {
      const v = r.u8();
      if (v < 2 || v > 5) r.fail(`unsupported pickle protocol ${v}`);
    } else if (op === OP.FRAME) {
      const n = r.u64();
      if (r.pos + n > r.bytes.byteLength) r.fail(`FRAME of ${n} bytes runs past the end`);
    } else return false;
    return true;
  }

  /** MARK, empty containers, tuples, memo PUT / GET. */
  private stackOp(op: number): boolean {
    const r = this.r;
    switch (op) {
      case OP.MARK:
        this.metastack.push(this.stack);
        this.stack = [];
        return true;
      case OP.EMPTY_DICT:
        return this.push(new PyDict());
      case OP.EMPTY_LIST:
        return this.push([]);
      case OP.EMPTY_TUPLE:
        return this.push(new PyTuple([]));
      case OP.TUPLE:
        return this.push(new PyTuple(this.popMark())); // popMark replaces `stack`: pop before pushing
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = op - OP.TUPLE1 + 1;
        if (this.stack.length < n) r.fail("pickle stack underflow");
        return this.push(new PyTuple(this.stack.splice(this.stack.length - n, n)));
      }
      case OP.BINPUT:
        this.memo.set(r.u8(), this.top());
        return true;
      case OP.LONG_BINPUT:
        this.memo.set(r.u32(), this.top());
        return true;
      case OP.MEMOIZE:
        this.memo.set(this.memo.size, this.top());
        return true;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const i = op === OP.BINGET ? r.u8() : r.u32();
        if (!this.memo.has(i)) r.fail(`memo entry ${i} is not defined`);
        return this.push(this.memo.get(i) as PyValue);
      }
      default:
        return false;
    }
  }

  /** Integers, floats, strings, booleans, None. */
  private scalarOp(op: number): boolean {
    const r = this.r;
    switch (op) {
      case OP.BININT:
        return this.push(r.i32());
      case OP.BININT1:
        return this.push(r.u8());
      case OP.BININT2:
        return this.push(r.u16());
      case OP.LONG1:
        return this.push(r.long(r.u8()));
      case OP.BINFLOAT:
        return this.push(r.f64be());
      case OP.BINUNICODE:
        return this.push(r.str(r.u32()));
      case OP.SHORT_BINUNICODE:
        return this.push(r.str(r.u8()));
      case OP.BINUNICODE8:
        return this.push(r.str(r.u64()));
      case OP.NEWTRUE:
        return this.push(true);
      case OP.NEWFALSE:
        return this.push(false);
      case OP.NONE:
        return this.push(null);
      default:
        return false;
    }
  }

  /** Dict / list filling, globals, REDUCE, BUILD, persistent storage ids. */
  private objectOp(op: number): boolean {
    const r = this.r;
    switch (op) {
      case OP.SETITEM: {
        const v = this.pop();
        const k = this.pop();
        this.setItems(this.top(), [k, v]);
        return true;
      }
      case OP.SETITEMS: {
        const kv = this.popMark();
        this.setItems(this.top(), kv);
        return true;
      }
      case OP.APPEND: {
        const v = this.pop();
        this.appendItems(this.top(), [v]);
        return true;
      }
      case OP.APPENDS: {
        const items = this.popMark();
        this.appendItems(this.top(), items);
        return true;
      }
      case OP.GLOBAL: {
        const module = r.line();
        const name = r.line();
        return this.push(this.resolveGlobal(module, name));
      }
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== "string" || typeof name !== "string") return r.fail("STACK_GLOBAL needs two strings");
        return this.push(this.resolveGlobal(module, name));
      }
      case OP.REDUCE: {
        const args = this.pop();
        const fn = this.pop();
        return this.push(this.reduce(fn, args));
      }
      case OP.BUILD: {
        const state = this.pop();
        const obj = this.top();
        // Only an OrderedDict's instance attributes (state_dict()._metadata) are expected; they are ignored.
        if (!(obj instanceof PyDict)) return r.fail(`BUILD on a ${typeName(obj)} is not allowed`);
        if (!(state === null || state instanceof PyDict || state instanceof PyTuple)) r.fail(`BUILD state must be a dict, found ${typeName(state)}`);
        return true;
      }
      case OP.BINPERSID:
        return this.push(this.persistentStorage(this.pop()));
      default:
        return false;
    }
  }

  // ── the stack ───────────────────────────────────────────────────────────────────────────────────────────────

  private push(v: PyValue): true {
    this.stack.push(v);
    return true;
  }

  private pop(): PyValue {
    if (this.stack.length === 0) this.r.fail("pickle stack underflow");
    return this.stack.pop() as PyValue;
  }

  private top(): PyValue {
    if (this.stack.length === 0) this.r.fail("pickle stack underflow");
    return this.stack[this.stack.length - 1];
  }

  private popMark(): PyValue[] {
    const items = this.stack;
    const prev = this.metastack.pop();
    if (!prev) return this.r.fail("MARK missing");
    this.stack = prev;
    return items;
  }

  // ── values ──────────────────────────────────────────────────────────────────────────────────────────────────

  /** The STOP result: a dict of tensors, in order. */
  private stateDict(result: PyValue): UnpickledStateDict {
    const r = this.r;
    if (!(result instanceof PyDict)) return r.fail(`the pickle holds a ${typeName(result)}, not a state dict`);
    const entries: Array<[string, TensorRef]> = [];
    for (const [k, v] of result.map) {
      if (typeof k !== "string") return r.fail(`state dict key ${String(k)} is not a string`);
      if (!(v instanceof TensorRef)) {
        return r.fail(`state dict entry "${k}" is a ${typeName(v)}, not a tensor (a training checkpoint rather than a model state dict?)`);
      }
      entries.push([k, v]);
    }
    return { entries };
  }

  private resolveGlobal(module: string, name: string): PyGlobal {
    const fqn = `${module}.${name}`;
    const kind = Object.prototype.hasOwnProperty.call(ALLOWED_GLOBALS, fqn) ? ALLOWED_GLOBALS[fqn] : undefined;
    if (!kind) {
      throw new WeightsError(
        `${this.fileName}: refused pickle global "${fqn}"${REFUSAL_HINTS.get(fqn) ?? ""} at byte ${this.r.opPos} of ${this.r.label}; ` +
          `a state dict may only reference torch tensor/storage globals and collections.OrderedDict`,
      );
    }
    return new PyGlobal(kind, fqn);
  }

  /** BINPERSID's `('storage', type, key, location, numel)`: one `StorageRef` per key. */
  private persistentStorage(pid: PyValue): StorageRef {
    const r = this.r;
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== "storage") {
      return r.fail(`persistent id must be ('storage', type, key, location, numel), found ${typeName(pid)}`);
    }
    const [, type, key, location, numelV] = pid.items;
    let dtype: SourceDType;
    if (type instanceof PyGlobal && (type.kind.t === "storage" || type.kind.t === "dtype")) dtype = type.kind.dtype;
    else return r.fail(`storage type must be a torch storage class, found ${typeName(type)}`);
    if (typeof key !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(key) || key.includes("..")) return r.fail(`storage key ${JSON.stringify(key)} is not valid`);
    if (typeof location !== "string") return r.fail("storage location must be a string");
    const numel = this.asInt(numelV, "storage numel");
    if (numel < 0) r.fail(`storage numel ${numel} is negative`);
    const prev = this.storages.get(key);
    if (prev && (prev.dtype !== dtype || prev.numel !== numel)) r.fail(`storage "${key}" is referenced with two different types or sizes`);
    const ref = prev ?? new StorageRef(key, dtype, numel, location);
    this.storages.set(key, ref);
    return ref;
  }

  /** REDUCE: only our own markers are callable, and only as pure builders. */
  private reduce(fn: PyValue, argsV: PyValue): PyValue {
    const r = this.r;
    if (!(fn instanceof PyGlobal)) return r.fail(`REDUCE on a ${typeName(fn)}, which is not callable here`);
    if (!(argsV instanceof PyTuple)) return r.fail(`REDUCE arguments must be a tuple, found ${typeName(argsV)}`);
    const args = argsV.items;
    const k = fn.kind;
    switch (k.t) {
      case "ordered_dict":
        return this.orderedDict(args);
      case "rebuild_tensor":
        return this.rebuildTensor(args, k.version);
      case "rebuild_parameter": {
        if (args.length !== (k.withState ? 4 : 3)) r.fail(`${fn.fqn} takes ${k.withState ? 4 : 3} arguments, found ${args.length}`);
        if (!(args[0] instanceof TensorRef)) return r.fail(`${fn.fqn} expects a tensor, found ${typeName(args[0])}`);
        return args[0];
      }
      case "rebuild_from_type_v2": {
        if (args.length !== 4) r.fail(`${fn.fqn} takes 4 arguments, found ${args.length}`);
        const [func, newType, inner] = args;
        if (!(func instanceof PyGlobal) || func.kind.t !== "rebuild_tensor") return r.fail(`${fn.fqn} may only wrap a torch tensor rebuild, found ${typeName(func)}`);
        if (!(newType instanceof PyGlobal) || newType.kind.t !== "tensor_type") return r.fail(`${fn.fqn} may only build torch.Tensor or Parameter, found ${typeName(newType)}`);
        return this.reduce(func, inner);
      }
      default:
        return r.fail(`${fn.fqn} is not callable`);
    }
  }

  private orderedDict(args: PyValue[]): PyDict {
    const r = this.r;
    const d = new PyDict();
    if (args.length > 1) r.fail("collections.OrderedDict takes at most one argument");
    if (args.length === 1) {
      const items = args[0];
      if (!Array.isArray(items)) return r.fail(`collections.OrderedDict argument must be a list of pairs, found ${typeName(items)}`);
      for (const it of items) {
        if (!(it instanceof PyTuple) || it.items.length !== 2) return r.fail("collections.OrderedDict items must be pairs");
        d.map.set(this.asKey(it.items[0]), it.items[1]);
      }
    }
    return d;
  }

  private rebuildTensor(args: PyValue[], version: 1 | 2 | 3): TensorRef {
    const r = this.r;
    const minArgs = version === 1 ? 4 : version === 2 ? 6 : 7;
    if (args.length < minArgs) r.fail(`tensor rebuild takes at least ${minArgs} arguments, found ${args.length}`);
    const storage = args[0];
    if (!(storage instanceof StorageRef)) return r.fail(`tensor storage must be a persistent storage reference, found ${typeName(storage)}`);
    const offset = this.asInt(args[1], "storage_offset");
    if (offset < 0) r.fail(`storage_offset ${offset} is negative`);
    const shape = this.asIntTuple(args[2], "size");
    const stride = this.asIntTuple(args[3], "stride");
    if (shape.length !== stride.length) r.fail(`size ${shapeToString(shape)} and stride ${shapeToString(stride)} differ in rank`);
    if (version === 3) {
      const d = args[6];
      if (!(d instanceof PyGlobal) || d.kind.t !== "dtype") return r.fail(`tensor dtype must be a torch dtype, found ${typeName(d)}`);
      if (d.kind.dtype !== storage.dtype) r.fail(`tensor dtype ${d.fqn} does not match its ${storage.dtype} storage`);
    }
    return new TensorRef(storage, offset, shape, stride);
  }

  private asInt(v: PyValue, what: string): number {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return this.r.fail(`${what} must be an integer, found ${typeName(v)}`);
    return v;
  }

  private asIntTuple(v: PyValue, what: string): number[] {
    if (!(v instanceof PyTuple)) return this.r.fail(`${what} must be a tuple, found ${typeName(v)}`);
    return v.items.map((x) => {
      const n = this.asInt(x, what);
      if (n < 0) this.r.fail(`${what} has a negative entry ${n}`);
      return n;
    });
  }

  private asKey(v: PyValue): PyKey {
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return this.r.fail(`dict key must be a str or number, found ${typeName(v)}`);
  }

  private setItems(d: PyValue, kv: PyValue[]): void {
    if (!(d instanceof PyDict)) return this.r.fail(`SETITEM(S) on a ${typeName(d)}`);
    if (kv.length % 2) this.r.fail("SETITEMS with an odd number of items");
    for (let i = 0; i < kv.length; i += 2) d.map.set(this.asKey(kv[i]), kv[i + 1]);
  }

  private appendItems(l: PyValue, items: PyValue[]): void {
    if (!Array.isArray(l)) return this.r.fail(`APPEND(S) on a ${typeName(l)}`);
    for (const it of items) l.push(it);
  }
}
