/**
 * The worker-thread side of `ThreadRunner`: loads the pipeline, then answers `classify` (rows → logits, one packed
 * forward) and `call` (a whole pipeline call) messages one at a time. Errors go back as `{code, message}` so the
 * main thread answers them like in-process ones (bad input → 422).
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadPipeline } from "./engine.js";
import { classifyRows, describeBackend, withBackendOptions } from "./runner.js";

export interface ThreadInit {
  model: string;
  task?: string;
  /** Serializable loading options (`device`, `dtype`, `revision`, `cache_dir`, `variant`, …). */
  options: Record<string, unknown>;
  /** Packages to import first (a backend registers itself). */
  imports: string[];
  /** Options of the backend `options.device` names, e.g. `{ threads: 2 }` for the cpu backend. */
  backendOptions?: Record<string, unknown>;
}

export type ThreadRequest = { id: number; kind: "classify"; rows: Array<{ ids: number[]; typeIds: number[] }> } | { id: number; kind: "call"; inputs: unknown; options: Record<string, unknown> };

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as ThreadInit;
  for (const m of init.imports) {
    try {
      await import(m);
    } catch (e) {
      // An optional backend that cannot load here (no GPU stack): the device choice reports it if it was needed.
      port.postMessage({ kind: "warn", message: `model thread: cannot import ${m}: ${(e as Error).message}` });
    }
  }
  // The backend is created here with its options (threads, kernels), then handed to the pipeline as an object.
  const pipe = await loadPipeline(init.model, init.task, {
    ...(await withBackendOptions(init.options, init.backendOptions)),
    warn: (message: string) => port.postMessage({ kind: "warn", message }),
    progress_callback: (p: unknown) => port.postMessage({ kind: "progress", progress: p }),
  } as never);
  const config = pipe.model.config;
  port.postMessage({
    kind: "ready",
    task: pipe.task,
    config: config.toJSON(),
    isClassifier: (pipe.model.constructor as { className?: string }).className === "DebertaV2ForSequenceClassification",
    dtype: (pipe.model as { dtype?: string }).dtype === "f16" ? "float16" : "float32",
    backend: describeBackend(pipe),
  });
  port.on("message", async (req: ThreadRequest | { kind: "dispose" }) => {
    if (req.kind === "dispose") {
      pipe.dispose();
      port.close();
      return;
    }
    try {
      const value = req.kind === "classify" ? await classifyRows(pipe, req.rows) : await pipe(req.inputs, req.options);
      port.postMessage({ kind: "result", id: req.id, value });
    } catch (e) {
      const err = e as { code?: string; message?: string; name?: string };
      port.postMessage({ kind: "result", id: req.id, error: { code: err.code, message: err.message ?? String(e), name: err.name } });
    }
  });
}

main().catch((e) => parentPort!.postMessage({ kind: "fatal", error: { code: (e as { code?: string }).code, message: (e as Error).message ?? String(e) } }));
