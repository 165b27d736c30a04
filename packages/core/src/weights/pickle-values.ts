/**
 * The only values the restricted unpickler produces: inert records (tuples, `Map`-backed dicts, global names,
 * storage and tensor descriptions). Nothing from the file ever becomes a function or a class instance of ours other
 * than these. Also the whitelist of globals a torch state dict may reference.
 */
import type { SourceDType } from "./state-dict.js";

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyDict {
  readonly map = new Map<PyKey, PyValue>();
}
/** A whitelisted global, as a name only. */
export class PyGlobal {
  constructor(readonly kind: GlobalKind, readonly fqn: string) {}
}
export class StorageRef {
  constructor(readonly key: string, readonly dtype: SourceDType, readonly numel: number, readonly location: string) {}
}
export class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}
export type PyKey = string | number | boolean | null;
export type PyValue = PyKey | PyValue[] | PyTuple | PyDict | PyGlobal | StorageRef | TensorRef;

export type GlobalKind =
  | { t: "ordered_dict" }
  | { t: "rebuild_tensor"; version: 1 | 2 | 3 }
  | { t: "rebuild_parameter"; withState: boolean }
  | { t: "rebuild_from_type_v2" }
  | { t: "tensor_type" }
  | { t: "storage"; dtype: SourceDType }
  | { t: "dtype"; dtype: SourceDType };

export const ALLOWED_GLOBALS: Record<string, GlobalKind> = {
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
export const REFUSAL_HINTS = new Map<string, string>([["torch.storage._load_from_bytes", " (it runs torch.load on nested bytes)"]]);

/** A value's Python type name, for error messages. */
export function typeName(v: PyValue | undefined): string {
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
