/**
 * `DebertaV2Config`: Hugging Face's `config.json`, with HF's defaults for every field and the derived values the
 * model code needs (head size, attention span, position-attention types) computed once, here.
 */
import { ACTIVATIONS, type Activation } from "./backend.js";
import { ConfigError } from "./errors.js";
import { getLimits, limitHint, type Limits } from "./limits.js";

/** The fields of HF's `DebertaV2Config` (plus the `PretrainedConfig` ones a DeBERTa user touches). */
export interface DebertaV2ConfigJson {
  model_type?: string;
  architectures?: string[];
  vocab_size?: number;
  hidden_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  intermediate_size?: number;
  hidden_act?: string;
  hidden_dropout_prob?: number;
  attention_probs_dropout_prob?: number;
  max_position_embeddings?: number;
  type_vocab_size?: number;
  initializer_range?: number;
  layer_norm_eps?: number;
  relative_attention?: boolean;
  max_relative_positions?: number;
  pad_token_id?: number | null;
  bos_token_id?: number | null;
  eos_token_id?: number | null;
  position_biased_input?: boolean;
  pos_att_type?: string | string[] | null;
  pooler_dropout?: number;
  pooler_hidden_act?: string;
  pooler_hidden_size?: number;
  legacy?: boolean;
  position_buckets?: number;
  norm_rel_ebd?: string;
  share_att_key?: boolean;
  conv_kernel_size?: number;
  conv_groups?: number;
  conv_act?: string;
  embedding_size?: number;
  attention_head_size?: number;
  tie_word_embeddings?: boolean;
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  num_labels?: number;
  problem_type?: "regression" | "single_label_classification" | "multi_label_classification" | null;
  torch_dtype?: string;
  dtype?: string;
  [key: string]: unknown;
}

export type PosAttType = "c2p" | "p2c";

export class DebertaV2Config {
  readonly model_type: string;
  readonly architectures: string[];
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly intermediate_size: number;
  readonly hidden_act: Activation;
  readonly hidden_dropout_prob: number;
  readonly attention_probs_dropout_prob: number;
  readonly max_position_embeddings: number;
  readonly type_vocab_size: number;
  readonly initializer_range: number;
  readonly layer_norm_eps: number;
  readonly relative_attention: boolean;
  /** As written in config.json (may be -1); see `maxRelativePositions` for the resolved value. */
  readonly max_relative_positions: number;
  readonly pad_token_id: number;
  readonly bos_token_id: number | null;
  readonly eos_token_id: number | null;
  readonly position_biased_input: boolean;
  /** Normalised: always a list, lower-cased. */
  readonly pos_att_type: string[];
  readonly pooler_dropout: number;
  readonly pooler_hidden_act: Activation;
  readonly pooler_hidden_size: number;
  readonly legacy: boolean;
  readonly position_buckets: number;
  readonly norm_rel_ebd: string[];
  readonly share_att_key: boolean;
  readonly conv_kernel_size: number;
  readonly conv_groups: number;
  readonly conv_act: Activation;
  readonly embedding_size: number;
  readonly attention_head_size: number;
  readonly tie_word_embeddings: boolean;
  readonly id2label: Record<number, string>;
  readonly label2id: Record<string, number>;
  readonly problem_type: DebertaV2ConfigJson["problem_type"];
  /** The parsed JSON as given (unknown keys kept). */
  readonly raw: DebertaV2ConfigJson;

  constructor(json: DebertaV2ConfigJson = {}, source = "config.json", limits?: Partial<Limits>) {
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      throw new ConfigError(`${source}: expected a JSON object, got ${json === null ? "null" : Array.isArray(json) ? "an array" : typeof json}`);
    }
    const f = new FieldReader(json, source);
    this.raw = json;
    this.model_type = f.string("model_type", "deberta-v2");
    if (this.model_type !== "deberta-v2") {
      throw new ConfigError(
        `${source}: model_type is "${this.model_type}", but deberta-js runs DeBERTa-v2/v3 ("deberta-v2") models only`,
      );
    }
    this.architectures = f.stringList("architectures", []);
    this.vocab_size = f.int("vocab_size", 128100, 1);
    this.hidden_size = f.int("hidden_size", 1536, 1);
    this.num_hidden_layers = f.int("num_hidden_layers", 24, 0);
    this.num_attention_heads = f.int("num_attention_heads", 24, 1);
    this.intermediate_size = f.int("intermediate_size", 6144, 1);
    this.hidden_act = f.activation("hidden_act", "gelu");
    this.hidden_dropout_prob = f.number("hidden_dropout_prob", 0.1);
    this.attention_probs_dropout_prob = f.number("attention_probs_dropout_prob", 0.1);
    this.max_position_embeddings = f.int("max_position_embeddings", 512, 1);
    this.type_vocab_size = f.int("type_vocab_size", 0, 0);
    this.initializer_range = f.number("initializer_range", 0.02);
    this.layer_norm_eps = f.number("layer_norm_eps", 1e-7);
    this.relative_attention = f.bool("relative_attention", false);
    this.max_relative_positions = f.int("max_relative_positions", -1);
    this.pad_token_id = f.intOrNull("pad_token_id", 0) ?? 0;
    this.bos_token_id = f.intOrNull("bos_token_id", null);
    this.eos_token_id = f.intOrNull("eos_token_id", null);
    this.position_biased_input = f.bool("position_biased_input", true);
    this.pos_att_type = f.pipeList("pos_att_type", []);
    for (const t of this.pos_att_type) {
      if (t !== "c2p" && t !== "p2c" && t !== "p2p") {
        throw new ConfigError(`${source}: pos_att_type has unknown entry "${t}" (expected "c2p", "p2c")`);
      }
    }
    this.pooler_dropout = f.number("pooler_dropout", 0);
    this.pooler_hidden_act = f.activation("pooler_hidden_act", "gelu");
    this.pooler_hidden_size = f.int("pooler_hidden_size", this.hidden_size, 1);
    this.legacy = f.bool("legacy", true);
    this.position_buckets = f.int("position_buckets", -1);
    this.norm_rel_ebd = f.pipeList("norm_rel_ebd", ["none"]);
    this.share_att_key = f.bool("share_att_key", false);
    this.conv_kernel_size = f.int("conv_kernel_size", 0, 0);
    this.conv_groups = f.int("conv_groups", 1, 1);
    this.conv_act = f.activation("conv_act", "tanh");
    this.embedding_size = f.int("embedding_size", this.hidden_size, 1);
    const defaultHead = Math.floor(this.hidden_size / this.num_attention_heads);
    if (json.attention_head_size === undefined && this.hidden_size % this.num_attention_heads !== 0) {
      throw new ConfigError(
        `${source}: hidden_size (${this.hidden_size}) is not a multiple of num_attention_heads (${this.num_attention_heads})`,
      );
    }
    this.attention_head_size = f.int("attention_head_size", defaultHead, 1);
    this.tie_word_embeddings = f.bool("tie_word_embeddings", true);
    const labels = readLabels(json, source, getLimits(limits).maxVocabSize);
    this.id2label = labels.id2label;
    this.label2id = labels.label2id;
    const pt = json.problem_type ?? null;
    if (pt !== null && pt !== "regression" && pt !== "single_label_classification" && pt !== "multi_label_classification") {
      throw new ConfigError(`${source}: problem_type "${String(pt)}" is not one of regression, single_label_classification, multi_label_classification`);
    }
    this.problem_type = pt;
    if (this.conv_kernel_size > 0 && this.conv_kernel_size % 2 === 0) {
      throw new ConfigError(`${source}: conv_kernel_size must be odd (got ${this.conv_kernel_size})`);
    }
    if (this.conv_kernel_size > 0 && this.conv_groups !== 1) {
      throw new ConfigError(`${source}: conv_groups ${this.conv_groups} is not supported (only 1, as in every published checkpoint)`);
    }
    if (!(this.layer_norm_eps > 0)) {
      throw new ConfigError(`${source}: field "layer_norm_eps" must be > 0, got ${this.layer_norm_eps} (LayerNorm divides by sqrt(var + eps))`);
    }
    checkDimensions(this, source, getLimits(limits));
  }

  static fromJSON(text: string | Uint8Array, source = "config.json", limits?: Partial<Limits>): DebertaV2Config {
    checkConfigBytes(text.length, source, limits);
    const s = typeof text === "string" ? text : new TextDecoder().decode(text);
    let json: unknown;
    try {
      json = JSON.parse(s);
    } catch (e) {
      throw new ConfigError(`${source}: not valid JSON (${(e as Error).message})`, { cause: e });
    }
    return new DebertaV2Config(json as DebertaV2ConfigJson, source, limits);
  }

  get num_labels(): number {
    return Object.keys(this.id2label).length;
  }

  /** `max_relative_positions`, or `max_position_embeddings` when it is < 1 (HF). */
  get maxRelativePositions(): number {
    return this.max_relative_positions < 1 ? this.max_position_embeddings : this.max_relative_positions;
  }

  /** The attention span S: `position_buckets` when > 0, else `maxRelativePositions`. rel_embeddings has 2S rows. */
  get attSpan(): number {
    return this.position_buckets > 0 ? this.position_buckets : this.maxRelativePositions;
  }

  get allHeadSize(): number {
    return this.num_attention_heads * this.attention_head_size;
  }

  hasPosAtt(t: PosAttType): boolean {
    return this.pos_att_type.includes(t);
  }

  /** The JSON HF would write back (defaults filled in). */
  toJSON(): DebertaV2ConfigJson {
    const { raw: _raw, ...rest } = this;
    return {
      ...this.raw,
      ...rest,
      id2label: Object.fromEntries(Object.entries(this.id2label).map(([k, v]) => [String(k), v])),
      norm_rel_ebd: this.norm_rel_ebd.join("|"),
    };
  }
}

/**
 * Every size the model allocates from comes from here, so each is bounded before anything is allocated: a tiny
 * config.json must not make us allocate gigabytes (placeholders, embeddings) or overflow a typed array.
 */
function checkDimensions(c: DebertaV2Config, source: string, limits: Limits): void {
  const bound = (field: string, value: number, limit: keyof Limits) => {
    if (value > limits[limit]) {
      throw new ConfigError(`${source}: field "${field}" is ${value}, over the ${limitHint(limit, limits[limit])}`);
    }
  };
  bound("vocab_size", c.vocab_size, "maxVocabSize");
  bound("type_vocab_size", c.type_vocab_size, "maxVocabSize");
  bound("num_labels", c.num_labels, "maxVocabSize");
  for (const f of ["hidden_size", "embedding_size", "intermediate_size", "attention_head_size", "pooler_hidden_size", "conv_kernel_size"] as const) {
    bound(f, c[f], "maxHiddenSize");
  }
  bound("num_hidden_layers", c.num_hidden_layers, "maxLayers");
  bound("num_attention_heads", c.num_attention_heads, "maxHeads");
  bound("max_position_embeddings", c.max_position_embeddings, "maxPositions");
  bound("max_relative_positions", c.max_relative_positions, "maxPositions");
  bound("position_buckets", c.position_buckets, "maxPositions");
  const h = c.hidden_size;
  const tensors: Array<[string, number]> = [
    ["word_embeddings (vocab_size × embedding_size)", c.vocab_size * c.embedding_size],
    ["position_embeddings (max_position_embeddings × embedding_size)", c.max_position_embeddings * c.embedding_size],
    ["query/key/value (num_attention_heads × attention_head_size × hidden_size)", c.allHeadSize * h],
    ["intermediate (intermediate_size × hidden_size)", c.intermediate_size * h],
    ["rel_embeddings (2 × attention span × hidden_size)", 2 * c.attSpan * h],
    ["classifier (num_labels × pooler_hidden_size)", c.num_labels * c.pooler_hidden_size],
  ];
  let perLayer = 0;
  for (const [what, n] of tensors) {
    if (n > limits.maxTensorElements) {
      throw new ConfigError(`${source}: the config implies a ${what} weight of ${n} elements, over the ${limitHint("maxTensorElements", limits.maxTensorElements)}`);
    }
  }
  perLayer = 4 * c.allHeadSize * h + 2 * c.intermediate_size * h;
  const params = c.vocab_size * c.embedding_size + c.max_position_embeddings * c.embedding_size + c.num_hidden_layers * perLayer + 2 * c.attSpan * h;
  if (params > limits.maxParameters) {
    throw new ConfigError(`${source}: the config implies ${params} parameters, over the ${limitHint("maxParameters", limits.maxParameters)}`);
  }
}

function readLabels(json: DebertaV2ConfigJson, source: string, maxLabels: number) {
  const id2label: Record<number, string> = {};
  if (json.id2label !== undefined) {
    if (json.id2label === null || typeof json.id2label !== "object" || Array.isArray(json.id2label)) {
      throw new ConfigError(`${source}: id2label must be an object mapping ids to label names`);
    }
    for (const [k, v] of Object.entries(json.id2label)) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0) throw new ConfigError(`${source}: id2label has a non-integer key "${k}"`);
      if (typeof v !== "string") throw new ConfigError(`${source}: id2label["${k}"] must be a string`);
      id2label[id] = v;
    }
  } else {
    const n = json.num_labels === undefined ? 2 : json.num_labels;
    if (!Number.isInteger(n) || (n as number) < 0) throw new ConfigError(`${source}: num_labels must be a non-negative integer`);
    if ((n as number) > maxLabels) throw new ConfigError(`${source}: field "num_labels" is ${n}, over the ${limitHint("maxVocabSize", maxLabels)}`);
    for (let i = 0; i < (n as number); i++) id2label[i] = `LABEL_${i}`;
  }
  const label2id: Record<string, number> = {};
  if (json.label2id !== undefined && json.label2id !== null) {
    if (typeof json.label2id !== "object" || Array.isArray(json.label2id)) {
      throw new ConfigError(`${source}: label2id must be an object mapping label names to ids`);
    }
    for (const [k, v] of Object.entries(json.label2id)) {
      if (!Number.isInteger(v)) throw new ConfigError(`${source}: label2id["${k}"] must be an integer`);
      label2id[k] = v;
    }
  } else {
    for (const [id, name] of Object.entries(id2label)) label2id[name] = Number(id);
  }
  return { id2label, label2id };
}

/** Reads typed fields; every error names the field and what was wrong with it. */
class FieldReader {
  constructor(
    private readonly json: DebertaV2ConfigJson,
    private readonly source: string,
  ) {}

  private fail(key: string, expected: string, v: unknown): never {
    throw new ConfigError(`${this.source}: field "${key}" must be ${expected}, got ${JSON.stringify(v)}`);
  }

  number(key: string, def: number): number {
    const v = this.json[key];
    if (v === undefined) return def;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(key, "a number", v);
    return v;
  }

  int(key: string, def: number, min = -Infinity): number {
    const v = this.json[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== "number" || !Number.isInteger(v)) this.fail(key, "an integer", v);
    if (v < min) this.fail(key, `an integer ≥ ${min}`, v);
    return v;
  }

  intOrNull(key: string, def: number | null): number | null {
    const v = this.json[key];
    if (v === undefined) return def;
    if (v === null) return null;
    if (typeof v !== "number" || !Number.isInteger(v)) this.fail(key, "an integer or null", v);
    return v;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.json[key];
    if (v === undefined) return def;
    if (typeof v !== "boolean") this.fail(key, "true or false", v);
    return v;
  }

  string(key: string, def: string): string {
    const v = this.json[key];
    if (v === undefined) return def;
    if (typeof v !== "string") this.fail(key, "a string", v);
    return v;
  }

  stringList(key: string, def: string[]): string[] {
    const v = this.json[key];
    if (v === undefined || v === null) return def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) this.fail(key, "a list of strings", v);
    return v as string[];
  }

  /** A list, or HF's `"a|b"` string form (lower-cased, split on `|`, trimmed). */
  pipeList(key: string, def: string[]): string[] {
    const v = this.json[key];
    if (v === undefined || v === null) return def;
    if (typeof v === "string") return v.toLowerCase().split("|").map((s) => s.trim()).filter((s) => s.length > 0);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.map((s) => (s as string).toLowerCase().trim());
    this.fail(key, 'a list of strings or a "a|b" string', v);
  }

  activation(key: string, def: Activation): Activation {
    const v = this.string(key, def);
    if (!(ACTIVATIONS as readonly string[]).includes(v)) {
      this.fail(key, `one of ${ACTIVATIONS.join(", ")}`, v);
    }
    return v as Activation;
  }
}

/**
 * config.json is parsed whole; a file far larger than any real config (a hostile upload, a wrong file renamed) is
 * refused before `JSON.parse`, whose memory grows with the file. `length` is bytes (or UTF-16 units for a string).
 */
export function checkConfigBytes(length: number, source: string, limits?: Partial<Limits>): void {
  const max = getLimits(limits).maxConfigBytes;
  if (length > max) {
    throw new ConfigError(`${source}: ${length} bytes is too large for a config file (${limitHint("maxConfigBytes", max)})`);
  }
}
