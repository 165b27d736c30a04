// Repository guard: no packages/*/src TypeScript file above 600 lines, kernel source strings excepted
// (scripts/source-size.mjs holds the limit and the commented allow-list).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_LINES, lineCount, oversizedSources, sourceFiles } from "../../../scripts/source-size.mjs";

const root = fileURLToPath(new URL("../../..", import.meta.url));

describe("source file size guard", () => {
  it(`no packages/*/src file exceeds ${MAX_LINES} lines (kernel source strings excepted)`, () => {
    expect(sourceFiles(root).length).toBeGreaterThan(100);
    expect(oversizedSources(root)).toEqual([]);
  });

  it("catches an oversized file and lets only kernel source strings through", () => {
    const fake = mkdtempSync(join(tmpdir(), "djs-size-"));
    const body = (n: number) => "x;\n".repeat(n);
    for (const dir of ["packages/a/src/sub", "packages/backend-webgpu/src/kernels", "packages/backend-cuda/src/kernels"]) mkdirSync(join(fake, dir), { recursive: true });
    writeFileSync(join(fake, "packages/a/src/ok.ts"), body(MAX_LINES));
    writeFileSync(join(fake, "packages/a/src/sub/big.ts"), body(MAX_LINES + 1));
    writeFileSync(join(fake, "packages/backend-webgpu/src/kernels/x.wgsl.ts"), body(900));
    writeFileSync(join(fake, "packages/backend-cuda/src/kernels/x.cu.ts"), body(900));
    writeFileSync(join(fake, "packages/backend-cuda/src/kernels/plan.ts"), body(900));
    expect(oversizedSources(fake)).toEqual([
      { file: "packages/a/src/sub/big.ts", lines: MAX_LINES + 1 },
      { file: "packages/backend-cuda/src/kernels/plan.ts", lines: 900 },
    ]);
    expect(lineCount("a\nb")).toBe(2);
    expect(lineCount("a\nb\n")).toBe(2);
  });
});
