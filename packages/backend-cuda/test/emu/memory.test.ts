/**
 * Storage lifetime on the emulated backend: views and `moveTo` share storage, a tensor nobody disposed is
 * reclaimed after garbage collection, and nothing still referenced ever is.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { emuBackend, emulatorUnavailable } from "./harness.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function collect(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!!emulatorUnavailable)(`storage lifetime (emulated)${emulatorUnavailable ? ` — skipped: ${emulatorUnavailable}` : ""}`, () => {
  it("keeps storage that moveTo handed to a new owner, reclaims what nobody references", async () => {
    const { backend } = await emuBackend();
    const base = backend.memoryStats().inUse;
    let moved = (() => {
      const t = backend.upload(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], "f32");
      return t.moveTo([3, 2]);
    })();
    (() => backend.upload(new Float32Array(1000), [1000], "f32"))(); // never disposed
    await collect();
    expect(backend.memoryStats().inUse).toBe(base + 512); // the moved tensor's block only
    expect([...(await backend.read(moved))]).toEqual([1, 2, 3, 4, 5, 6]);
    const view = moved.reshape([6]);
    moved.dispose();
    expect(backend.memoryStats().inUse).toBe(base);
    expect(() => backend.add(view, view)).toThrow(/after dispose/);
    moved = undefined as never;
    backend.destroy();
  });
});
