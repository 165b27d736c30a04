#!/usr/bin/env node
import { installProcessGuards, describeUnexpected } from "./process-guards.js";
import { buildProgram } from "./program.js";

installProcessGuards();
try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`deberta-js: unexpected error: ${describeUnexpected(e)}\n`);
  process.exitCode = 1;
}
