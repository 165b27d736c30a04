// URL and cache-path helpers, checked against what Python's huggingface_hub computes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { cachePaths, hubCacheDir, hubFileUrl, repoFolderName, repoInfoUrl } from "../../src/hub/index.js";
import { invalidRepoIdReason } from "../../src/hub/common.js";
import { isolatedEnv, type TestEnv } from "./env.js";

let env: TestEnv;
beforeEach(async () => {
  env = await isolatedEnv();
});
afterEach(async () => {
  await env.restore();
});

describe("hub helpers", () => {
  it("hubFileUrl / repoInfoUrl follow hf_hub_url and HF_ENDPOINT", () => {
    expect(hubFileUrl("microsoft/deberta-v3-base", "config.json")).toBe("https://huggingface.co/microsoft/deberta-v3-base/resolve/main/config.json");
    expect(hubFileUrl("org/m", "sub dir/a+b.json", { revision: "refs/pr/1", endpoint: "http://mirror.local/" })).toBe(
      "http://mirror.local/org/m/resolve/refs%2Fpr%2F1/sub%20dir/a%2Bb.json",
    );
    process.env.HF_ENDPOINT = "https://hf-mirror.example";
    expect(repoInfoUrl("org/m", { revision: "v1.0" })).toBe("https://hf-mirror.example/api/models/org/m/revision/v1.0");
  });

  it("cache folders: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, ~", () => {
    expect(hubCacheDir()).toBe(env.cache);
    delete process.env.HF_HUB_CACHE;
    process.env.HUGGINGFACE_HUB_CACHE = "/legacy/cache";
    expect(hubCacheDir()).toBe("/legacy/cache");
    delete process.env.HUGGINGFACE_HUB_CACHE;
    expect(hubCacheDir()).toBe(join(env.home, "hub"));
    delete process.env.HF_HOME;
    process.env.XDG_CACHE_HOME = "/xdg";
    expect(hubCacheDir()).toBe("/xdg/huggingface/hub");
    delete process.env.XDG_CACHE_HOME;
    expect(hubCacheDir("/home/u")).toBe("/home/u/.cache/huggingface/hub");
    process.env.HF_HOME = "~/hf";
    expect(hubCacheDir("/home/u")).toBe("/home/u/hf/hub");
    expect(repoFolderName("microsoft/deberta-v3-base")).toBe("models--microsoft--deberta-v3-base");
    expect(repoFolderName("gpt2")).toBe("models--gpt2");
    const p = cachePaths("org/m", { cacheDir: "/c", revision: "refs/pr/1" });
    expect(p).toMatchObject({
      repoDir: "/c/models--org--m",
      blobsDir: "/c/models--org--m/blobs",
      snapshotsDir: "/c/models--org--m/snapshots",
      refFile: "/c/models--org--m/refs/refs/pr/1",
      noExistDir: "/c/models--org--m/.no_exist",
    });
  });

  it("repo ids are validated like validate_repo_id", () => {
    for (const ok of ["microsoft/deberta-v3-base", "gpt2", "org_1/model.v2", "a/b-c_d.e"]) expect(invalidRepoIdReason(ok)).toBeUndefined();
    for (const bad of ["", "a/b/c", "a//b", "org/-x", "org/x.", "a--b/c", "a/b..c", "a/b.git", "a b/c", "x".repeat(97)]) {
      expect(invalidRepoIdReason(bad)).toBeTypeOf("string");
    }
  });
});
