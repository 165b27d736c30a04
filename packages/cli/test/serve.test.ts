// `deberta-js serve` as a user runs it: the built bin on a free port, one /predict, then SIGTERM → drain → exit 0.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@deberta-js/backend-cpu";
import { pipeline } from "@deberta-js/heads";
import { describe, expect, it } from "vitest";
import { testModel } from "../../server/test/models.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

describe("deberta-js serve", () => {
  it("serves /predict and drains on SIGTERM", { timeout: 60_000 }, async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm build)`);
    const dir = await testModel("DebertaV2ForSequenceClassification");
    const child = spawn(process.execPath, [BIN, "serve", "--model", dir, "--port", "0", "--max-batch-tokens", "2048", "--backend", "cpu", "--threads", "1"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        const m = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) resolve(Number(m[1]));
      });
      child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const r = await fetch(`http://127.0.0.1:${port}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ inputs: "hello there" }) });
    expect(r.status).toBe(200);
    // The model thread created the cpu backend with --threads: one thread for the compiled kernels (or the
    // TypeScript kernels where none were built), and says so in the start line.
    expect(stderr).toMatch(/\(backend cpu (js|\S+ ×1), max_batch_tokens 2048/);
    const body = (await r.json()) as Array<{ label: string; score: number }>;
    expect(body.map((p) => p.label).sort()).toEqual(["contradiction", "entailment", "neutral"]);
    // The model runs on the server's worker thread: same scores as the pipeline here.
    const clf = await pipeline("text-classification", dir, { device: createCpuBackend(), warn: () => {} });
    const ref = (await clf("hello there", { top_k: null })) as Array<{ label: string; score: number }>;
    expect(body.map((p) => p.label)).toEqual(ref.map((p) => p.label));
    body.forEach((p, i) => expect(Math.abs(p.score - ref[i].score)).toBeLessThanOrEqual(1e-4 + 1e-4 * ref[i].score));
    const hf = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: JSON.stringify({ inputs: ["hello there"], parameters: { top_k: null } }) });
    const hfBody = (await hf.json()) as Array<Array<{ label: string; score: number }>>;
    expect(hf.status).toBe(200);
    expect(hfBody[0].map((p) => p.label)).toEqual(ref.map((p) => p.label));
    const bad = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: JSON.stringify({ inputs: [42] }) });
    expect(bad.status).toBe(422); // the thread's InputError keeps its meaning
    clf.dispose();
    const info = (await (await fetch(`http://127.0.0.1:${port}/info`)).json()) as Record<string, unknown>;
    expect(info.max_batch_tokens).toBe(2048);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM: draining/);
    expect(stderr).toMatch(/drained/);
  });
});
