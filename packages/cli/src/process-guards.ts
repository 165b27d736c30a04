/**
 * Process-level guards for the command line (issue 13): whatever goes wrong, the user sees one line on stderr and a
 * non-zero exit code — never a stack trace (set DEBERTA_JS_DEBUG=1 to get one) — and a closed stdout pipe
 * (`deberta-js tokenize … | head`) ends the process quietly instead of crashing with an EPIPE trace.
 */
export function debugEnabled(): boolean {
  return process.env.DEBERTA_JS_DEBUG === "1";
}

/** One line for an error we did not expect, with the stack only in debug mode. */
export function describeUnexpected(e: unknown): string {
  if (debugEnabled()) return (e as Error)?.stack ?? String(e);
  const err = e as Error | undefined;
  const msg = err && typeof err === "object" && "message" in err ? `${err.name ?? "Error"}: ${err.message}` : String(e);
  return `${msg.split("\n")[0]} (this is a bug in deberta-js; DEBERTA_JS_DEBUG=1 shows the stack trace)`;
}

function isEpipe(e: unknown): boolean {
  return (e as { code?: unknown } | undefined)?.code === "EPIPE";
}

/** Installs the guards; returns nothing. Idempotent enough for one call from bin.ts. */
export function installProcessGuards(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e) => {
      // The reader went away (head, less quit): stop writing, as a SIGPIPE would, without a trace.
      if (isEpipe(e)) process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const fatal = (e: unknown) => {
    if (isEpipe(e)) process.exit(process.exitCode ?? 0);
    try {
      process.stderr.write(`deberta-js: unexpected error: ${describeUnexpected(e)}\n`);
    } finally {
      process.exit(1);
    }
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
}
