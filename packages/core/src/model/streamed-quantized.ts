/**
 * The quantized tensors of a checkpoint, collected while it streams (`loadModelWeights`), so a load never holds the
 * whole state dict:
 *
 *  - bitsandbytes modules: each module's tensors are staged only until its last one arrives, then turned into a
 *    `QuantizedHostWeight` (`extractBnbModules` on that module alone) and the staged float copies are dropped.
 *    (safetensors orders tensors by dtype, so a module's small F32 parts come first and its U8/I8 weight later.)
 *  - int8 embedding tables in deberta-js's format (`weights/int8-embeddings.ts`): dtypes checked from the file's
 *    header, the codes read as bytes (no float32 copy).
 *  - `quantize_embeddings`: the float word-embedding table quantized int8 row-wise as it is read, a block of rows
 *    at a time (per-row int8 has no cross-row state, so this is bit-identical to quantizing the whole table).
 */
import { WeightsError } from "../errors.js";
import { quantizeInt8Rows } from "../quant/quantize.js";
import type { QuantizedHostWeight } from "../quant/quantized-weight.js";
import { type ByteTensor, bnbModulesOf } from "../weights/bnb.js";
import { INT8_WEIGHT, type Int8TableParts, assembleInt8Table, int8Bytes, int8TableModule } from "../weights/int8-embeddings.js";
import { type HostTensor, SOURCE_ITEM_SIZE, type SourceDType, decodeRaw, hostTensorToF32, shapeToString } from "../weights/state-dict.js";
import type { TensorRecord } from "../weights/stream.js";

/** The module a bitsandbytes tensor belongs to (its `.bias` is a plain float parameter, not a part). */
const BNB_PART = /^(.*)\.(weight|weight\.absmax|weight\.quant_map|weight\.nested_absmax|weight\.nested_quant_map|weight\.quant_state\.bitsandbytes__[A-Za-z0-9]+|SCB|weight_format)$/;
const BNB_MARK = /^(.*)\.(weight\.quant_state\.bitsandbytes__[A-Za-z0-9]+|SCB)$/;
const WORD_EMBEDDINGS = /(^|\.)embeddings\.word_embeddings\.weight$/;
const FLOAT: ReadonlySet<SourceDType> = new Set(["F32", "F16", "BF16", "F64"]);
/** fp32 bytes of word-embedding rows read per block when quantizing them on load. */
const ROW_BLOCK_BYTES = 4 << 20;

/** Module names of the bitsandbytes modules a checkpoint's records hold (from the tensors present). */
export function bnbModuleNames(records: readonly TensorRecord[]): Set<string> {
  const out = new Set<string>();
  for (const r of records) {
    const m = BNB_MARK.exec(r.name);
    if (m) out.add(m[1]);
  }
  return out;
}

export class StreamedQuantized {
  readonly modules = new Map<string, QuantizedHostWeight>();
  readonly tables = new Map<string, QuantizedHostWeight>();
  private readonly bnb: Set<string>;
  /** bnb module → how many of its tensors the file holds, and those staged so far. */
  private readonly expected = new Map<string, number>();
  private readonly staged = new Map<string, Map<string, HostTensor | ByteTensor>>();
  private readonly tableParts = new Map<string, Int8TableParts>();

  constructor(
    records: readonly TensorRecord[],
    /** Names the checkpoint in errors. */
    private readonly where: string,
    /** `quantize_embeddings`: quantize the float word-embedding table as it is read. */
    private readonly quantizeEmbeddings: boolean,
  ) {
    this.bnb = bnbModuleNames(records);
    for (const r of records) {
      const m = this.bnbModule(r.name);
      if (m !== undefined) this.expected.set(m, (this.expected.get(m) ?? 0) + 1);
    }
  }

  /** Whether the checkpoint holds bitsandbytes modules. */
  get hasBnb(): boolean {
    return this.bnb.size > 0;
  }

  /** Whether `take` consumes this tensor (else it loads as a plain parameter). */
  handles(r: TensorRecord): boolean {
    if (int8TableModule(r.name) !== undefined || this.bnbModule(r.name) !== undefined) return true;
    return this.quantizeEmbeddings && WORD_EMBEDDINGS.test(r.name) && FLOAT.has(r.dtype) && r.shape.length === 2;
  }

  async take(r: TensorRecord): Promise<void> {
    const table = int8TableModule(r.name);
    if (table !== undefined) return this.takeTablePart(table, r);
    const m = this.bnbModule(r.name);
    if (m !== undefined) return this.takeBnbPart(m, r);
    return this.quantizeTable(r);
  }

  /** Checks that every staged bnb module and int8 table is complete and builds the tables. */
  finish(): { modules?: Map<string, QuantizedHostWeight>; tables?: Map<string, QuantizedHostWeight> } {
    for (const [m, sd] of this.staged) this.extract(m, sd); // incomplete: extraction names the missing tensor
    for (const [m, parts] of this.tableParts) this.tables.set(m, assembleInt8Table(m, parts, this.where));
    this.tableParts.clear();
    return { modules: this.modules.size ? this.modules : undefined, tables: this.tables.size ? this.tables : undefined };
  }

  private bnbModule(name: string): string | undefined {
    if (!this.bnb.size) return undefined;
    const m = BNB_PART.exec(name)?.[1];
    return m !== undefined && this.bnb.has(m) ? m : undefined;
  }

  private async takeBnbPart(m: string, r: TensorRecord): Promise<void> {
    const sd = this.staged.get(m) ?? new Map();
    this.staged.set(m, sd);
    // integer tensors (packed 4-bit codes, LLM.int8 codes, quant-state JSON) as stored: no float32 copy
    const bytes = (r.dtype === "U8" || r.dtype === "I8") && r.readBytes;
    sd.set(r.name, bytes ? { dtype: r.dtype === "U8" ? "u8" : "i8", shape: r.shape, data: (await bytes()).slice() } : await r.read("f32"));
    if (sd.size === this.expected.get(m)) this.extract(m, sd);
  }

  private extract(m: string, sd: Map<string, HostTensor | ByteTensor>): void {
    this.staged.delete(m);
    for (const [k, w] of bnbModulesOf(sd, this.where)) this.modules.set(k, w);
  }

  private async takeTablePart(m: string, r: TensorRecord): Promise<void> {
    const parts = this.tableParts.get(m) ?? {};
    this.tableParts.set(m, parts);
    const where = `${this.where}/${r.file}`;
    if (r.name.endsWith(INT8_WEIGHT)) {
      if (r.dtype !== "I8") throw new WeightsError(`${where}: tensor "${r.name}" has dtype ${r.dtype} ${shapeToString(r.shape)}, expected I8 [vocab, dim]`);
      const bytes = r.readBytes ? await r.readBytes() : int8Bytes(await r.read("f32"), r.name, where);
      parts.codes = { shape: r.shape, bytes };
    } else {
      if (r.dtype !== "F32") throw new WeightsError(`${where}: tensor "${r.name}" has dtype ${r.dtype} ${shapeToString(r.shape)}, expected F32 [vocab]`);
      parts.scales = { shape: r.shape, data: hostTensorToF32(await r.read("f32")) as Float32Array };
    }
  }

  /**
   * The float table → int8 row-wise, a block of rows at a time through one reused buffer where the format reads
   * ranges (read whole otherwise). Rows are read as stored and widened to f32: int8 quantization rounds to f16 first,
   * so the codes equal those of the compute-dtype table the in-memory path quantized.
   */
  private async quantizeTable(r: TensorRecord): Promise<void> {
    const [V, D] = r.shape;
    const data = new Uint8Array(V * D);
    const scales = new Float32Array(V);
    const item = SOURCE_ITEM_SIZE[r.dtype];
    const rowsPerBlock = Math.max(1, Math.floor(ROW_BLOCK_BYTES / (D * item)));
    const whole = r.readRangeInto ? undefined : hostTensorToF32(await r.read("f32"));
    const scratch = whole ? undefined : new Uint8Array(Math.min(V, rowsPerBlock) * D * item);
    for (let r0 = 0; r0 < V; r0 += rowsPerBlock) {
      const n = Math.min(rowsPerBlock, V - r0);
      let rows: Float32Array;
      if (whole) rows = whole.subarray(r0 * D, (r0 + n) * D);
      else {
        const bytes = scratch!.subarray(0, n * D * item);
        await r.readRangeInto!(r0 * D, bytes);
        rows = hostTensorToF32(decodeRaw(bytes, r.dtype, [n, D], "f32", `${this.where}/${r.file}: tensor "${r.name}"`));
      }
      quantizeInt8Rows(rows, n, D, new Int8Array(data.buffer, r0 * D, n * D), scales.subarray(r0, r0 + n));
    }
    this.tables.set(r.name.replace(/\.weight$/, ""), { layout: "int8", method: "int8", outFeatures: V, inFeatures: D, blockSize: D, data, scales });
  }
}
