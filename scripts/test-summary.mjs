// Sums the vitest JSON reports every package wrote (.vitest-result.json) into the line CI reads:
// "N passed, N failed, N skipped". Exits non-zero when a test failed or a package wrote no report.
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const roots = ["packages", "apps"];
let passed = 0, failed = 0, skipped = 0;
const missing = [];
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const dir of readdirSync(root)) {
    const pkg = join(root, dir, "package.json");
    if (!existsSync(pkg)) continue;
    if (!JSON.parse(readFileSync(pkg, "utf8")).scripts?.test) continue;
    const report = join(root, dir, ".vitest-result.json");
    if (!existsSync(report)) { missing.push(join(root, dir)); continue; }
    const r = JSON.parse(readFileSync(report, "utf8"));
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + (r.success === false && !r.numFailedTests ? 1 : 0);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`${join(root, dir)}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  }
}
for (const m of missing) console.log(`${m}: no test report (its tests did not run)`);
failed += missing.length;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
