/**
 * The messages between the page (`main.ts`) and the model worker (`worker.ts`). Every request carries an `id`; the
 * worker answers it with exactly one final message (`probed`, `loaded`, `result`, `attention` or `error`) with the
 * same id, possibly preceded by `progress` messages. `device-lost` and `warning` may arrive at any time.
 */

export const TASKS = [
  "fill-mask",
  "text-classification",
  "zero-shot-classification",
  "token-classification",
  "question-answering",
  "multiple-choice",
] as const;
export type Task = (typeof TASKS)[number];

export const TASK_TITLES: Record<Task, string> = {
  "fill-mask": "Fill-mask",
  "text-classification": "Text classification",
  "zero-shot-classification": "Zero-shot classification (NLI)",
  "token-classification": "Token classification (entities)",
  "question-answering": "Question answering",
  "multiple-choice": "Multiple choice",
};

export type BackendName = "webgpu" | "cpu";

/** Where the model comes from. */
export type ModelSource =
  /** The tiny random-weights models built into the app (`public/models/`); the task picks the folder. */
  | { kind: "bundled"; baseUrl: string }
  /** A Hugging Face hub repo, downloaded by the browser and kept in Cache Storage. */
  | { kind: "hub"; id: string; revision?: string }
  /**
   * A model folder the user picked: file name (relative to the folder) → bytes. Without `files`: the folder the
   * worker already holds (sent with an earlier load).
   */
  | { kind: "folder"; label: string; files?: Record<string, Uint8Array> };

export type RunInput =
  | { task: "fill-mask"; text: string; topK: number }
  | { task: "text-classification"; text: string; textPair?: string }
  | { task: "zero-shot-classification"; text: string; labels: string[]; template: string; multiLabel: boolean }
  | { task: "token-classification"; text: string; aggregation: "none" | "simple" | "first" | "average" | "max" }
  | { task: "question-answering"; question: string; context: string; topK: number }
  | { task: "multiple-choice"; prompt: string; choices: string[] };

/** One token of the sequence the attention map shows. */
export interface TokenInfo {
  id: number;
  token: string;
  special: boolean;
}

/** One score to draw as a bar. `score` is the pipeline's number, unrounded. */
export interface Bar {
  /** Identifies the bar across runs and backends: the token id (fill-mask) or the label. */
  key: string;
  label: string;
  score: number;
  /** Extra text shown beside the label (the filled-in sentence, the answer's position…). */
  detail?: string;
}

/** A character span of `text` to highlight (an entity, an answer). */
export interface Span {
  start: number;
  end: number;
  label: string;
  score: number;
}

export interface TaskResult {
  task: Task;
  bars: Bar[];
  /** Text with spans to highlight: entities (token classification) or answers (question answering). */
  highlight?: { text: string; spans: Span[] };
  /** The pipeline's output as it returned it (JSON-safe). */
  raw: unknown;
}

export interface ModelInfo {
  /** What was loaded, for people: the folder name, the hub id, or the bundled folder. */
  label: string;
  bundled: boolean;
  task: Task;
  /** The head class the pipeline built, e.g. "DebertaV2ForMaskedLM". */
  className: string;
  backend: BackendName;
  /** GPU adapter description (WebGPU only). */
  adapter?: string;
  layers: number;
  heads: number;
  hidden: number;
  vocab: number;
  /** Head parameters the checkpoint lacked, newly initialized (as HF does, with a warning). */
  newlyInitialized: string[];
  /** Loading warnings (unused weights, initialized heads), shown as they are. */
  warnings: string[];
}

/** An error in plain words (`title`), with the library's own message (`detail`). */
export interface PlainError {
  title: string;
  detail: string;
  /** The `DebertaError` code, when there is one. */
  code?: string;
}

/**
 * Tasks that encode one sequence per candidate (multiple choice: prompt + each choice; zero-shot: text + each
 * hypothesis) show the tokens and attention of one of them at a time: which one, and the others to pick from.
 */
export interface SequenceView {
  /** "choice" (multiple choice) or "label" (zero-shot: the hypothesis made from that label). */
  kind: "choice" | "label";
  /** The sequence shown, an index into `options`. */
  index: number;
  /** One per sequence, in input order: the choice, or the candidate label. */
  options: string[];
  /** The second text of the sequence shown (the choice, or the hypothesis). */
  pair: string;
}

export interface AttentionShape {
  layers: number;
  heads: number;
  length: number;
}

export type WorkerRequest =
  | { type: "probe"; id: number }
  | {
      type: "load";
      id: number;
      source: ModelSource;
      task: Task;
      backend: BackendName;
      /** WebGPU: the input of the warm-up run that compiles the shaders (the form's, so its shapes are compiled). */
      warmup?: RunInput;
    }
  | { type: "run"; id: number; input: RunInput }
  | { type: "attention"; id: number; layer: number; head: number }
  /** Show the tokens and attention of another sequence of the last run (`SequenceView.index`). */
  | { type: "view"; id: number; index: number }
  /** Tests only (the page offers it with `?e2e` in its URL): destroys the WebGPU device, as a GPU reset would. */
  | { type: "lose-device"; id: number };

export type WorkerResponse =
  | { type: "probed"; id: number; webgpu: { available: boolean; reason?: string } }
  | {
      type: "progress";
      id: number;
      /** "download": from the network; "cached": from the browser cache; "load": reading weights; "warmup": compiling GPU shaders. */
      phase: "download" | "cached" | "load" | "warmup";
      file: string;
      loaded: number;
      total: number;
    }
  | {
      type: "loaded";
      id: number;
      info: ModelInfo;
      /** Getting the files and building the model (download, weights to the backend, tokenizer). */
      loadMs: number;
      /** WebGPU only: one warm-up run that compiles the GPU shaders (0 on the CPU). */
      warmupMs: number;
    }
  | {
      type: "result";
      id: number;
      result: TaskResult;
      tokens: TokenInfo[];
      /** Wall time of the pipeline call (tokenizing, the forward pass, reading results back, post-processing). */
      inferenceMs: number;
      attention: AttentionShape | null;
      /** Which of the run's sequences `tokens` and `attention` belong to (null: the task encodes one sequence). */
      view: SequenceView | null;
    }
  | { type: "viewed"; id: number; tokens: TokenInfo[]; attention: AttentionShape | null; view: SequenceView }
  | { type: "attention"; id: number; layer: number; head: number; length: number; data: Float32Array }
  | { type: "ok"; id: number }
  | { type: "error"; id: number; error: PlainError }
  | { type: "warning"; message: string }
  | { type: "device-lost"; error: PlainError };
