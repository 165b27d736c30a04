// Core's loading front door: option names (documented spelling, aliases, closest-name errors), dtype names, env
// defaults, and the shared backends.
import { afterEach, describe, expect, it } from "vitest";
import {
  BackendUnavailableError,
  DebertaError,
  UnknownOptionError,
  closestName,
  env,
  getBackend,
  normalizeOptions,
  registerBackend,
  resolveDtype,
  resolveLoadOptions,
} from "../src/index.js";
import { HostBackend } from "../src/testing/index.js";

const saved = { ...env };
afterEach(() => Object.assign(env, saved));

describe("option names", () => {
  it("closestName: style differences, typos, and a name extending another", () => {
    const names = ["top_k", "cache_dir", "device", "local_files_only", "progress_callback"];
    expect(closestName("topk", names)).toBe("top_k");
    expect(closestName("topK", names)).toBe("top_k");
    expect(closestName("devise", names)).toBe("device");
    expect(closestName("cacheDirectory", names)).toBe("cache_dir");
    expect(closestName("localFileOnly", names)).toBe("local_files_only");
    expect(closestName("zzz", names)).toBeUndefined();
  });

  it("normalizeOptions maps aliases, drops undefined, and rejects unknown or doubled names", () => {
    const specs = [{ name: "cache_dir", aliases: ["cacheDir"] }, { name: "device", aliases: ["backend"] }];
    expect(normalizeOptions({ cacheDir: "/c", device: undefined }, specs, "ctx")).toEqual({ cache_dir: "/c" });
    expect(() => normalizeOptions({ cache: "/c" }, specs, "ctx")).toThrow(UnknownOptionError);
    expect(() => normalizeOptions({ cache_dirr: "/c" }, specs, "ctx")).toThrow('ctx: unknown option "cache_dirr"; did you mean "cache_dir"?');
    expect(() => normalizeOptions({ nothing_like_it: 1 }, specs, "ctx")).toThrow(/known options: cache_dir, device/);
    expect(() => normalizeOptions({ device: "cpu", backend: "cuda" }, specs, "ctx")).toThrow(/same option/);
    expect(normalizeOptions({ device: "cpu", backend: "cpu" }, specs, "ctx")).toEqual({ device: "cpu" });
    expect(() => normalizeOptions([] as never, specs, "ctx")).toThrow(/must be an object/);
  });
});

describe("dtype names", () => {
  it("HF / transformers.js spellings resolve; bf16 is CUDA's mode; others are refused by name", () => {
    expect(resolveDtype("fp16").compute).toBe("f16");
    expect(resolveDtype("float32").compute).toBe("f32");
    expect(resolveDtype("auto").compute).toBe("f32");
    expect(resolveDtype(undefined).compute).toBe("f32");
    expect(resolveDtype("bf16")).toEqual({ compute: "f16", backend: "cuda", backendOptions: { half: "bf16" } });
    expect(() => resolveDtype("int3")).toThrow(/dtype "int3" is not supported/);
    expect(resolveLoadOptions({ dtype: "bf16" }, "ctx").load.device).toBe("cuda");
    expect(() => resolveLoadOptions({ dtype: "bf16", device: "cpu" }, "ctx")).toThrow(/runs on the cuda backend only/);
  });
});

describe("resolveLoadOptions", () => {
  it("applies env defaults under the call's options and checks value types", () => {
    env.cacheDir = "/env-cache";
    env.allowRemoteModels = false;
    env.remoteHost = "http://127.0.0.1:9";
    env.dtype = "fp16";
    const { load } = resolveLoadOptions({}, "ctx");
    expect(load).toMatchObject({ cacheDir: "/env-cache", localFilesOnly: true, endpoint: "http://127.0.0.1:9", dtype: "f16" });
    expect(resolveLoadOptions({ cache_dir: "/mine", local_files_only: false }, "ctx").load).toMatchObject({ cacheDir: "/mine", localFilesOnly: false });
    expect(() => resolveLoadOptions({ local_files_only: "yes" }, "ctx")).toThrow('ctx: option "local_files_only" must be true or false');
    expect(() => resolveLoadOptions({ device: 3 }, "ctx")).toThrow(/option "device" must be a backend name/);
    const { rest } = resolveLoadOptions({ top_k: 2, batchSize: 4 }, "ctx", [{ name: "top_k" }, { name: "batch_size", aliases: ["batchSize"] }]);
    expect(rest).toEqual({ top_k: 2, batch_size: 4 });
  });
});

describe("getBackend", () => {
  it("the default is the highest-priority available backend; an unknown name says what is registered", async () => {
    registerBackend({ name: "host-test", priority: 100, isAvailable: async () => ({ available: true }), create: async () => new HostBackend() });
    registerBackend({ name: "broken-test", priority: 200, isAvailable: async () => ({ available: false, reason: "no device" }), create: async () => new HostBackend() });
    const b = await getBackend();
    expect(b).toBeInstanceOf(HostBackend);
    expect(await getBackend("auto")).toBe(b);
    await expect(getBackend("broken-test")).rejects.toThrow(BackendUnavailableError);
    await expect(getBackend("nope")).rejects.toThrow(/no backend registered under this name/);
    expect(new UnknownOptionError("c", "x", "y", [])).toBeInstanceOf(DebertaError);
  });
});
