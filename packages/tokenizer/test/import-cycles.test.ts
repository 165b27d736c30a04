// No runtime import cycle in any package's src (type-only imports excepted, see the root .madgerc).
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import madge from "madge";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));

it("packages/*/src has no runtime import cycle (madge --circular)", async () => {
  const packages = readdirSync(`${root}packages`)
    .map((p) => `${root}packages/${p}/src`)
    .filter((d) => existsSync(d));
  const res = await madge(packages, {
    baseDir: root,
    fileExtensions: ["ts"],
    detectiveOptions: { ts: { skipTypeImports: true }, es6: { skipTypeImports: true } },
  });
  expect(res.circular()).toEqual([]);
}, 60_000);
