/** Machine output on stdout (JSON only); everything else on stderr. */
import { DebertaError, type Tensor, disposeBackends } from "@deberta-js/core";
import { describeUnexpected } from "./process-guards.js";

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}

export function log(message: string): void {
  process.stderr.write(message + "\n");
}

/** `{ shape, data }` with the values as plain numbers. */
export async function tensorJson(t: Tensor): Promise<{ shape: number[]; data: number[] }> {
  const data = await t.data();
  return { shape: [...t.shape], data: Array.from(data) };
}

/** Wraps a command: typed errors become one clear line on stderr and exit code 1 (2 for usage errors). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof DebertaError || isTypedError(e)) {
        log(`deberta-js: error [${e.code}]: ${e.message}`);
        process.exitCode = e.code === "INPUT_INVALID" || e.code === "UNSUPPORTED" ? 2 : 1;
      } else {
        log(`deberta-js: unexpected error: ${describeUnexpected(e)}`);
        process.exitCode = 1;
      }
    } finally {
      // Backends are shared per name (core's getBackend); a live Dawn instance would keep the process running.
      await disposeBackends().catch(() => undefined);
    }
  };
}

/** Errors of our other packages (e.g. the tokenizer's `TokenizerError`) carry a string `code` too. */
function isTypedError(e: unknown): e is { code: string; message: string } {
  const code = e instanceof Error ? (e as unknown as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^[A-Z_]+$/.test(code);
}
