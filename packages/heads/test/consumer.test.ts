// A consumer's view (issue 14): the packed tarballs of core, tokenizer, backend-cpu and heads are npm-installed into
// an empty folder outside the repository, then
//  - an ES module runs a pipeline with no backend import,
//  - a CommonJS file does the same through require(),
//  - a TypeScript file (precise pipeline result types, unknown options rejected) type-checks with
//    moduleResolution node16 and bundler,
//  - without @huggingface/hub (an optional peer dependency, needed only to download in Node) a local folder loads and
//    a hub id fails with a MissingDependencyError naming the package; once it is installed, the same call goes to the
//    hub (unreachable here: a network error).
// Offline: third-party dependencies are packed from the workspace's own install, and npm runs with --offline.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticModel } from "./synthetic.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const WORKSPACE = ["core", "tokenizer", "backend-cpu", "heads"].map((p) => join(ROOT, "packages", p));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
let dir: string;
let model: string;

/** Where Node would find `name` from `from` (walking up node_modules folders), as a real path. */
function findDep(from: string, name: string): string {
  for (let d = from; d !== dirname(d); d = dirname(d)) {
    const c = join(d, "node_modules", name);
    if (existsSync(join(c, "package.json"))) return realpathSync(c);
  }
  throw new Error(`cannot find ${name} from ${from}`);
}

/** Folders of every third-party package the given packages need at run time (transitively). */
function thirdParty(roots: string[] = WORKSPACE, seen = new Set<string>()): string[] {
  const before = new Set(seen);
  const walk = (pkgDir: string) => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (name.startsWith("@deberta-js/")) continue;
      const d = findDep(pkgDir, name);
      if (!seen.has(d)) {
        seen.add(d);
        walk(d);
      }
    }
  };
  roots.forEach(walk);
  return [...seen].filter((d) => !before.has(d));
}

const HUB = "@huggingface/hub";
/** Tarballs of @huggingface/hub and what it needs beyond the workspace packages' own dependencies. */
let hubTarballs: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "deberta-js-consumer-"));
  model = await syntheticModel("DebertaV2ForSequenceClassification");
  const packs = join(dir, "packs");
  for (const p of WORKSPACE) await exec("pnpm", ["pack", "--pack-destination", packs], { cwd: p });
  // The installed copy of a published package is its tarball's contents: tar it back up under npm's "package/" root.
  const tarDir = (p: string, out: string) => exec("tar", ["czf", out, "-C", p, "--exclude=./node_modules", "--transform", "s,^\\.,package,", "."]);
  const deps = thirdParty();
  for (const [i, p] of deps.entries()) await tarDir(p, join(packs, `dep-${i}.tgz`));
  // @huggingface/hub is not installed with the rest (an optional peer): its tarballs wait in another folder.
  const hubDir = findDep(WORKSPACE[3], HUB);
  const hubPacks = join(dir, "hub-packs");
  await exec("mkdir", ["-p", hubPacks]);
  for (const [i, p] of [hubDir, ...thirdParty([hubDir], new Set(deps))].entries()) await tarDir(p, join(hubPacks, `hub-${i}.tgz`));
  hubTarballs = (await readdir(hubPacks)).map((f) => join(hubPacks, f));
  const app = join(dir, "app");
  await exec("mkdir", ["-p", app]);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  const tarballs = (await readdir(packs)).map((f) => join(packs, f));
  await exec("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", ...tarballs], { cwd: app, maxBuffer: 16 << 20 });
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const app = () => join(dir, "app");

async function node(file: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await exec(process.execPath, [file], { cwd: app(), env: { ...process.env, ...env } });
  return stdout;
}

describe("installed from the tarballs", () => {
  it("the tarballs carry a LICENSE and no tests", async () => {
    const heads = join(app(), "node_modules", "@deberta-js");
    for (const p of ["core", "tokenizer", "backend-cpu", "heads"]) {
      expect(existsSync(join(heads, p, "LICENSE")), p).toBe(true);
      expect(JSON.parse(readFileSync(join(heads, p, "package.json"), "utf8")).engines?.node, p).toBe(">=20.19");
    }
    const { stdout } = await exec("find", [heads, "-name", "*.test.*"]);
    expect(stdout.trim()).toBe("");
  });

  it("ESM: a pipeline with no backend import", async () => {
    await writeFile(
      join(app(), "esm.mjs"),
      `import { pipeline } from "@deberta-js/heads";
const classify = await pipeline("text-classification", ${JSON.stringify(model)}, { warn: () => {} });
console.log(JSON.stringify({ device: classify.device, result: await classify("A soccer game.") }));
classify.dispose();
`,
    );
    const out = JSON.parse(await node("esm.mjs"));
    expect(out.device).toBe("cpu");
    expect(out.result[0]).toHaveProperty("label");
  });

  it("CJS: the same through require()", async () => {
    await writeFile(
      join(app(), "cjs.cjs"),
      `const { pipeline } = require("@deberta-js/heads");
pipeline("text-classification", ${JSON.stringify(model)}, { warn: () => {} }).then(async (classify) => {
  console.log(JSON.stringify({ device: classify.device, result: await classify("A soccer game.") }));
  classify.dispose();
});
`,
    );
    const out = JSON.parse(await node("cjs.cjs"));
    expect(out.device).toBe("cpu");
    expect(out.result[0]).toHaveProperty("label");
  });

  it("TypeScript: result types per call form, with moduleResolution node16 and bundler", async () => {
    await writeFile(
      join(app(), "types.ts"),
      `import { AutoModel, AutoModelForSequenceClassification, DebertaV2ForSequenceClassification, DebertaV2Model, pipeline } from "@deberta-js/heads";
import type { FillMaskResult, LabelScore, QaAnswer, ZeroShotResult } from "@deberta-js/heads";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

const classify = await pipeline("text-classification", "m", { device: "cpu", dtype: "fp32" });
const one = await classify("text");
expectType<Equal<typeof one, LabelScore[]>>();
const pair = await classify({ text: "a", text_pair: "b" });
expectType<Equal<typeof pair, LabelScore>>();
const ranked = await classify(["a", "b"], { top_k: 2, max_length: 128 });
expectType<Equal<typeof ranked, LabelScore[][]>>();
for await (const r of classify((async function* () { yield "a"; })(), { batch_size: 4 })) {
  expectType<Equal<typeof r, LabelScore | LabelScore[]>>();
}
const fill = await pipeline("fill-mask", "m");
const masks = await fill("Paris is the [MASK] of France.", { top_k: 3 });
expectType<Equal<typeof masks, FillMaskResult[]>>();
const perMask = await fill("The [MASK] is the [MASK] of France.", { top_k: 3, truncation: true, max_length: 64 });
expectType<Equal<typeof perMask, FillMaskResult[][]>>();
const anyText: string = "Paris is the [MASK] of France.";
const oneMask = await fill(anyText);
expectType<Equal<typeof oneMask, FillMaskResult[]>>();
const zs = await pipeline("zero-shot-classification", "m");
const labels = await zs("text", ["a", "b"]);
expectType<Equal<typeof labels, ZeroShotResult>>();
const qa = await pipeline("question-answering", "m");
const answer = await qa("Who?", "Me.");
expectType<Equal<typeof answer, QaAnswer>>();
const base = await AutoModel.fromPretrained("m");
expectType<Equal<typeof base, DebertaV2Model>>();
const head = await AutoModelForSequenceClassification.from_pretrained("m");
expectType<Equal<typeof head, DebertaV2ForSequenceClassification>>();
// @ts-expect-error: an unknown option is a type error (and a typed error at run time)
await pipeline("fill-mask", "m", { topk: 3 });
`,
    );
    const common = { target: "ES2022", lib: ["ES2022", "DOM", "DOM.AsyncIterable"], strict: true, noEmit: true, skipLibCheck: true, types: [] };
    for (const [name, options] of [
      ["node16", { module: "node16", moduleResolution: "node16" }],
      ["bundler", { module: "esnext", moduleResolution: "bundler" }],
    ] as const) {
      await writeFile(join(app(), `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...common, ...options }, files: ["types.ts"] }));
      const r = await exec(process.execPath, [TSC, "-p", `tsconfig.${name}.json`], { cwd: app() }).catch((e) => e as { stdout: string; code: number });
      expect(r.stdout, name).toBe("");
    }
  });

  // A hub id, with an empty HF cache and a hub endpoint where nothing listens: no request can succeed.
  const hubScript = `import { pipeline } from "@deberta-js/heads";
try {
  await pipeline("text-classification", "test-org/tiny-deberta", { warn: () => {} });
  console.log(JSON.stringify({ loaded: true }));
} catch (e) {
  console.log(JSON.stringify({ name: e.name, code: e.code, reason: e.reason, packageName: e.packageName, message: e.message }));
}
`;
  const hubEnv = () => ({ HF_HOME: join(dir, "hf-home"), HF_HUB_CACHE: join(dir, "hf-home", "hub"), HF_ENDPOINT: "http://127.0.0.1:9", HF_HUB_OFFLINE: "0" });

  it("without @huggingface/hub (an optional peer dependency): it is not installed, and a local folder loads", async () => {
    expect(existsSync(join(app(), "node_modules", "@huggingface", "hub"))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(app(), "node_modules", "@deberta-js", "heads", "package.json"), "utf8"));
    expect(pkg.dependencies?.[HUB]).toBeUndefined();
    expect(pkg.peerDependenciesMeta?.[HUB]?.optional).toBe(true);
    await writeFile(
      join(app(), "local.mjs"),
      `import { AutoModelForSequenceClassification, AutoTokenizer } from "@deberta-js/heads";
const tokenizer = await AutoTokenizer.from_pretrained(${JSON.stringify(model)});
const model = await AutoModelForSequenceClassification.from_pretrained(${JSON.stringify(model)});
const { logits } = await model.forward(tokenizer(["A soccer game."]));
console.log(JSON.stringify(logits.dims));
`,
    );
    expect(JSON.parse(await node("local.mjs", hubEnv()))).toEqual([1, 3]);
  });

  it("without @huggingface/hub, a hub id fails with a MissingDependencyError naming the package", async () => {
    await writeFile(join(app(), "hub.mjs"), hubScript);
    const out = JSON.parse(await node("hub.mjs", hubEnv()));
    expect(out).toMatchObject({ name: "MissingDependencyError", code: "DEPENDENCY_MISSING", packageName: HUB });
    expect(out.message).toContain("npm install @huggingface/hub");
  });

  it("with @huggingface/hub installed, the same hub id goes to the hub (unreachable here: a network error)", async () => {
    await exec("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", ...hubTarballs], { cwd: app(), maxBuffer: 16 << 20 });
    expect(existsSync(join(app(), "node_modules", "@huggingface", "hub"))).toBe(true);
    const out = JSON.parse(await node("hub.mjs", hubEnv()));
    expect(out).toMatchObject({ name: "HubError", reason: "network" });
    expect(out.message).toContain("http://127.0.0.1:9");
  });
});
