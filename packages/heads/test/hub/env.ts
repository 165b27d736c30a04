// Test isolation for the hub tests: every test gets its own temp folder as HF_HOME and HF_HUB_CACHE, and the
// hub-related environment is restored afterwards. The real home cache is never touched.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const VARS = [
  "HF_ENDPOINT",
  "HF_TOKEN",
  "HUGGING_FACE_HUB_TOKEN",
  "HF_TOKEN_PATH",
  "HF_HUB_OFFLINE",
  "HF_HUB_CACHE",
  "HUGGINGFACE_HUB_CACHE",
  "HF_HOME",
  "XDG_CACHE_HOME",
];

export interface TestEnv {
  tmp: string;
  cache: string;
  home: string;
  restore(): Promise<void>;
}

export async function isolatedEnv(): Promise<TestEnv> {
  const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  for (const k of VARS) delete process.env[k];
  const tmp = await mkdtemp(join(tmpdir(), "deberta-js-hub-"));
  const cache = join(tmp, "hub-cache");
  const home = join(tmp, "hf-home");
  process.env.HF_HUB_CACHE = cache;
  process.env.HF_HOME = home;
  return {
    tmp,
    cache,
    home,
    async restore() {
      for (const k of VARS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
