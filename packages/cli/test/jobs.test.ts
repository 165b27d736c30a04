// Batch jobs on a real Redis (a private redis-server): 2 `deberta-js worker` processes share 5,000 inputs in
// chunks; one worker is killed (SIGKILL) while it runs a chunk → BullMQ's stalled check hands that chunk to the
// other worker, and `deberta-js collect` writes exactly one result per input id, each equal to the
// single-process text-classification pipeline's output on the same model.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createCpuBackend } from "@deberta-js/backend-cpu";
import { pipeline } from "@deberta-js/heads";
import { describe, expect, it } from "vitest";
import { testModel } from "../../server/test/models.js";
import { NO_REDIS, hasRedis, requireRedis, startRedis } from "../../server/test/redis.js";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const N = 5000;
const CHUNK = 50;

interface Proc {
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

function worker(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, "worker", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const p: Proc = { child, log: "", exited: new Promise((r) => child.once("exit", (code) => r(code))) };
  child.stderr!.on("data", (d) => (p.log += d));
  return p;
}

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const close = (a: number, r: number) => Math.abs(a - r) <= 1e-4 + 1e-4 * Math.abs(r);

const suite = hasRedis ? describe : requireRedis ? describe : describe.skip;

suite(`batch jobs on Redis${hasRedis ? "" : ` (skipped: ${NO_REDIS})`}`, () => {
  if (!hasRedis && requireRedis) {
    it("needs redis-server (CI=true)", () => {
      throw new Error(NO_REDIS);
    });
    return;
  }

  it(`2 workers, ${N} inputs, one worker killed mid-chunk → exactly one result per id, equal to the pipeline`, { timeout: 120_000 }, async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm build)`);
    const redis = await startRedis();
    const procs: Proc[] = [];
    try {
      const dir = await testModel("DebertaV2ForSequenceClassification");
      const tmp = mkdtempSync(join(tmpdir(), "deberta-js-jobs-"));
      const texts = Array.from({ length: N }, (_, i) => `doc ${i} about w${i % 53}${i % 7 ? " and more" : ""}`);
      writeFileSync(join(tmp, "docs.jsonl"), texts.map((t, i) => JSON.stringify({ id: `d${i}`, inputs: t })).join("\n") + "\n");
      const common = ["--redis", redis.url, "--queue", "docs"];
      const wargs = [...common, "--model", dir, "--lock-duration", "5000", "--stalled-interval", "1000"];
      const a = worker([...wargs, "--name", "A"]);
      const b = worker([...wargs, "--name", "B"]);
      procs.push(a, b);
      await until(() => /ready/.test(a.log) && /ready/.test(b.log), "the workers to load");

      const enq = await run(process.execPath, [BIN, "enqueue", ...common, "--input", join(tmp, "docs.jsonl"), "--chunk-size", String(CHUNK), "--batch", "b1", "--parameters", '{"top_k": null}']);
      expect(JSON.parse(enq.stdout)).toMatchObject({ batch: "b1", chunks: N / CHUNK, inputs: N });

      // Kill A right after it starts a chunk (after it has done ten).
      await until(() => (a.log.match(/^done /gm) ?? []).length >= 10, "worker A to finish 10 chunks");
      const startsBefore = (a.log.match(/^start /gm) ?? []).length;
      await until(() => (a.log.match(/^start /gm) ?? []).length > startsBefore, "worker A to start a chunk");
      a.child.kill("SIGKILL");
      await a.exited;
      const killedJob = [...a.log.matchAll(/^start (\S+)/gm)].pop()![1];
      const finishedByA = new RegExp(`^done ${killedJob.replace(".", "\\.")}$`, "m").test(a.log);
      const t0 = Date.now();

      // The single-process reference, computed while B finishes the batch.
      const clf = await pipeline("text-classification", dir, { backend: createCpuBackend(), warn: () => {} });
      const reference = (await clf(texts, { top_k: null, batchSize: 64 })) as Array<Array<{ label: string; score: number }>>;
      clf.dispose();
      const t1 = Date.now();

      const col = await run(process.execPath, [BIN, "collect", ...common, "--batch", "b1", "--output", join(tmp, "out.jsonl"), "--timeout", "90000"]);
      expect(JSON.parse(col.stdout)).toMatchObject({ results: N, errors: 0 });
      expect(col.stderr).toMatch(new RegExp(`${N / CHUNK}/${N / CHUNK} chunks, ${N}/${N} inputs`));

      const lines = readFileSync(join(tmp, "out.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(lines).toHaveLength(N);
      expect(lines.map((l) => l.id)).toEqual(texts.map((_, i) => `d${i}`)); // every id once, in input order
      lines.forEach((l, i) => {
        const ref = reference[i];
        expect(l.result.map((x: { label: string }) => x.label), l.id).toEqual(ref.map((x) => x.label));
        l.result.forEach((x: { score: number }, k: number) => expect(close(x.score, ref[k].score), `${l.id}: ${x.score} vs ${ref[k].score}`).toBe(true));
      });
      // The chunk A was running when it died was redone by B.
      expect(finishedByA, `A finished ${killedJob} before the kill landed; the test wants a mid-chunk kill`).toBe(false);
      expect(b.log).toMatch(new RegExp(`^done ${killedJob.replace(".", "\\.")}$`, "m"));
      console.log(`reference ${t1 - t0} ms, collect done ${Date.now() - t0} ms after the kill`);
      console.log(`killed A during ${killedJob}; B redid it. A did ${(a.log.match(/^done /gm) ?? []).length} chunks, B ${(b.log.match(/^done /gm) ?? []).length}`);
    } finally {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
      await Promise.all(procs.map((p) => p.exited));
      await redis.stop();
    }
  });
});
