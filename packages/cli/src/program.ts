/** The `deberta-js` command: one sub-command per file in `commands/`. */
import { Command } from "commander";
import { registerBench } from "./commands/bench.js";
import { registerForward } from "./commands/forward.js";
import { registerInfo } from "./commands/info.js";
import { registerRun } from "./commands/run.js";
import { registerTokenize } from "./commands/tokenize.js";
import { registerBenchTokenizer } from "./commands/bench-tokenizer.js";
import { registerServe } from "./commands/serve.js";
import { registerJobs } from "./commands/jobs.js";

export function buildProgram(): Command {
  const program = new Command("deberta-js")
    .description("Run DeBERTa-v2/v3 models in JavaScript. JSON on stdout; logs and progress on stderr.")
    .showHelpAfterError();
  registerForward(program);
  registerInfo(program);
  registerBench(program);
  registerRun(program);
  registerTokenize(program);
  registerBenchTokenizer(program);
  registerServe(program);
  registerJobs(program);
  return program;
}
