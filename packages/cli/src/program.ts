/** The `deberta-js` command: one sub-command per file in `commands/`. */
import { createRequire } from "node:module";
import { Command } from "commander";
import { setVerbose } from "./backends.js";
import { registerBench } from "./commands/bench.js";
import { registerForward } from "./commands/forward.js";
import { registerInfo } from "./commands/info.js";
import { registerRun } from "./commands/run.js";
import { registerTokenize } from "./commands/tokenize.js";
import { registerBenchTokenizer } from "./commands/bench-tokenizer.js";
import { registerServe } from "./commands/serve.js";
import { registerJobs } from "./commands/jobs.js";
import { registerConvert } from "./commands/convert.js";
import { registerQuantize } from "./commands/quantize.js";

export function buildProgram(): Command {
  const program = new Command("deberta-js")
    .description("Run DeBERTa-v2/v3 models in JavaScript. JSON on stdout; logs and progress on stderr.")
    .version(cliVersion(), "-V, --version", "print the version")
    .option("--verbose", "also show backend driver messages (Dawn/Vulkan) on stderr")
    // A usage mistake is one line naming the fix, not the whole help (`--help` prints that).
    .configureOutput({ outputError: (message, write) => write(oneLineUsageError(message)) })
    .hook("preAction", (_program, command) => setVerbose(command.optsWithGlobals().verbose === true));
  registerForward(program);
  registerInfo(program);
  registerBench(program);
  registerRun(program);
  registerTokenize(program);
  registerBenchTokenizer(program);
  registerServe(program);
  registerJobs(program);
  registerConvert(program);
  registerQuantize(program);
  return program;
}

/** The version in the CLI's package.json. */
export function cliVersion(): string {
  return (createRequire(import.meta.url)("../package.json") as { version: string }).version;
}

/** commander's error text as one line, pointing at `--help` of the command at fault. */
export function oneLineUsageError(message: string): string {
  const line = message.trim().split("\n")[0].replace(/^error: /, "");
  return `deberta-js: ${line} (see deberta-js --help, or deberta-js <command> --help)\n`;
}
