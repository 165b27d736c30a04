// The Node hub cache talks to the hub through @huggingface/hub: its functions are wrapped in spies (calling the
// real ones), and the fake hub checks the requests they send. Also: library errors become typed HubErrors, and a
// token the library refuses still reaches the hub (and only the hub).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as hf from "@huggingface/hub";
import { HubError, resolveModelFiles } from "../../src/hub/index.js";
import { FakeHub, TINY_COMMIT, TINY_REPO, tinyDebertaFiles } from "./fake-hub.js";
import { isolatedEnv, type TestEnv } from "./env.js";

vi.mock("@huggingface/hub", async (importOriginal) => {
  const real = await importOriginal<typeof import("@huggingface/hub")>();
  return { ...real, modelInfo: vi.fn(real.modelInfo), pathsInfo: vi.fn(real.pathsInfo), downloadFile: vi.fn(real.downloadFile) };
});

let env: TestEnv;
let hub: FakeHub;
const FILES = tinyDebertaFiles();

beforeEach(async () => {
  vi.clearAllMocks();
  env = await isolatedEnv();
  hub = await new FakeHub().start();
  hub.addRepo(TINY_REPO, { files: FILES });
});

afterEach(async () => {
  await hub.stop();
  await env.restore();
});

async function rejection(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

describe("hub requests go through @huggingface/hub", () => {
  it("modelInfo, pathsInfo and downloadFile get hubUrl, accessToken and our fetch; every request goes through opts.fetch", async () => {
    process.env.HF_ENDPOINT = hub.hubUrl;
    process.env.HF_TOKEN = "hf_lib";
    hub.requiredToken = "hf_lib";
    const userFetch = vi.fn((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
    const files = await resolveModelFiles(TINY_REPO, { fetch: userFetch as typeof fetch });
    await files.read("config.json");
    await files.read("model.safetensors");

    const common = { hubUrl: hub.hubUrl, accessToken: "hf_lib", fetch: expect.any(Function) };
    expect(hf.modelInfo).toHaveBeenCalledTimes(1);
    expect(hf.modelInfo).toHaveBeenCalledWith(expect.objectContaining({ ...common, name: TINY_REPO, revision: "main", additionalFields: ["sha", "filePaths"] }));
    expect(hf.pathsInfo).toHaveBeenCalledTimes(2);
    for (const name of ["config.json", "model.safetensors"]) {
      expect(hf.pathsInfo).toHaveBeenCalledWith(expect.objectContaining({ ...common, repo: TINY_REPO, paths: [name], revision: TINY_COMMIT }));
    }
    expect(hf.downloadFile).toHaveBeenCalledTimes(2);
    const st = hub.file(TINY_REPO, "model.safetensors");
    expect(hf.downloadFile).toHaveBeenCalledWith(
      expect.objectContaining({
        ...common,
        repo: TINY_REPO,
        path: "model.safetensors",
        revision: TINY_COMMIT,
        xet: false,
        downloadInfo: { etag: st.etag, size: st.bytes.byteLength, url: `${hub.hubUrl}/${TINY_REPO}/resolve/${TINY_COMMIT}/model.safetensors` },
      }),
    );

    // The wire format is the library's: model info with `expand`, paths-info as a JSON POST, plain GETs of the
    // resolve URL (no HEAD, no probe), redirects followed hop by hop through the caller's fetch.
    const hubPaths = hub.requests.filter((r) => r.server === "hub").map((r) => `${r.method} ${r.path}`);
    expect(hubPaths[0]).toMatch(new RegExp(`^GET /api/models/${TINY_REPO}/revision/main\\?(expand=[\\w-]+&)*expand=sha&expand=siblings$`));
    const posts = hub.requests.filter((r) => r.method === "POST");
    expect(posts.map((r) => [r.path, JSON.parse(r.body!)])).toEqual([
      [`/api/models/${TINY_REPO}/paths-info/${TINY_COMMIT}`, { paths: ["config.json"], expand: false }],
      [`/api/models/${TINY_REPO}/paths-info/${TINY_COMMIT}`, { paths: ["model.safetensors"], expand: false }],
    ]);
    expect(hub.requests.some((r) => r.method === "HEAD")).toBe(false);
    expect(userFetch).toHaveBeenCalledTimes(hub.requests.length);
    expect(userFetch.mock.calls.every(([, init]) => init?.redirect === "manual")).toBe(true);
    expect(hub.requests.filter((r) => r.server === "hub").every((r) => r.authorization === "Bearer hf_lib")).toBe(true);
    expect(hub.requests.filter((r) => r.server === "cdn").map((r) => r.authorization)).toEqual([undefined]);

    // Served from the cache: the library is not called at all.
    vi.clearAllMocks();
    const again = await resolveModelFiles(TINY_REPO, { fetch: userFetch as typeof fetch });
    await again.read("config.json");
    await again.read("model.safetensors");
    expect(hf.modelInfo).not.toHaveBeenCalled();
    expect(hf.pathsInfo).not.toHaveBeenCalled();
    expect(hf.downloadFile).not.toHaveBeenCalled();
    expect(userFetch).not.toHaveBeenCalled();
  });

  it("the library's HubApiError becomes a typed HubError (kept as its cause), using the hub's X-Error-Code", async () => {
    const repo = await rejection(resolveModelFiles("test-org/missing", { endpoint: hub.hubUrl }));
    expect(repo.reason).toBe("repo-not-found");
    expect(repo.cause).toBeInstanceOf(hf.HubApiError);
    expect((repo.cause as hf.HubApiError).statusCode).toBe(404);

    const rev = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, revision: "v9" }));
    expect(rev.reason).toBe("revision-not-found");
    expect(rev.cause).toBeInstanceOf(hf.HubApiError);

    hub.requiredToken = "hf_right";
    const auth = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl }));
    expect(auth.reason).toBe("unauthorized");
    expect(auth.status).toBe(401);
    expect(auth.message).toContain("HF_TOKEN");
    expect(auth.cause).toBeInstanceOf(hf.HubApiError);
  });

  it("a token @huggingface/hub refuses (not hf_…, e.g. a mirror's) is still sent, to the hub only", async () => {
    const token = "cmVmdGtuOjAxOjE3NTY6bWlycm9y"; // the shape of a JFrog Artifactory identity token
    hub.requiredToken = token;
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, token });
    expect(Buffer.from(await files.read("model.safetensors")).equals(Buffer.from(FILES["model.safetensors"]))).toBe(true);
    expect(hf.modelInfo).toHaveBeenCalledWith(expect.not.objectContaining({ accessToken: expect.anything() }));
    expect(hub.requests.filter((r) => r.server === "hub").every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    expect(hub.requests.filter((r) => r.server === "cdn").map((r) => r.authorization)).toEqual([undefined]);
  });
});
