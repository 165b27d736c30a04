// The batcher's gathering wait, counted in event-loop turns (no clocks): inputs that keep coming in join the batch
// about to form; a full batch or a quiet queue does not wait.
import { describe, expect, it } from "vitest";
import { BatchQueue } from "../src/batch-queue.js";

const turn = () => new Promise<void>((r) => setImmediate(r));

function queue(maxBatchTokens: number) {
  const sizes: number[] = [];
  const q = new BatchQueue<number, number>({
    runBatch: async (xs) => {
      sizes.push(xs.length);
      return xs.map((x) => x * 10);
    },
    maxBatchTokens,
    gatherMs: 60_000, // the deadline never ends a wait here: only the turns do
  });
  return { q, sizes };
}

describe("BatchQueue gathering", () => {
  it("inputs arriving one per event-loop turn all join the batch being formed", async () => {
    const { q, sizes } = queue(100);
    const answers = [q.submit(0, 1)];
    for (let i = 1; i <= 6; i++) {
      await turn();
      answers.push(q.submit(i, 1));
    }
    expect((await Promise.all(answers)).map((a) => a.value)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(sizes).toEqual([7]);
  });

  it("a batch that is full (token budget) runs without waiting for more", async () => {
    const { q, sizes } = queue(3);
    const answers = [q.submit(0, 1)];
    for (let i = 1; i <= 5; i++) {
      await turn();
      answers.push(q.submit(i, 1));
    }
    await Promise.all(answers);
    expect(sizes[0]).toBe(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it("with nothing coming in, a lone input runs after two turns (the 60 s deadline is not waited for)", async () => {
    const { q, sizes } = queue(100);
    const first = q.submit(1, 1);
    for (let i = 0; i < 4; i++) await turn();
    const late = q.submit(2, 1);
    expect((await first).value).toBe(10);
    expect((await late).value).toBe(20);
    expect(sizes).toEqual([1, 1]);
  });
});
