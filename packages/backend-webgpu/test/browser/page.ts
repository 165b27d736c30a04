/**
 * The page side of the headless-Chromium test: bundled by esbuild for the browser from the package's browser entry
 * (no Node imports allowed), it fetches a fixture model over HTTP and runs it on `navigator.gpu`.
 */
import { DebertaV2Model, memoryFiles } from "@deberta-js/core";
import { createWebGpuBackend } from "../../src/index.js";

interface PageResult {
  shape: number[];
  data: number[];
  adapter: string;
  features: string[];
  f16: boolean;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function runCase(fixture: string, inputs: Record<string, number[][]>): Promise<PageResult> {
  const files = memoryFiles(
    {
      "config.json": await fetchBytes(`/fixtures/${fixture}/config.json`),
      "model.safetensors": await fetchBytes(`/fixtures/${fixture}/model.safetensors`),
    },
    `http:/fixtures/${fixture}`,
  );
  const adapter = await navigator.gpu.requestAdapter();
  const backend = await createWebGpuBackend();
  try {
    const model = await DebertaV2Model.fromPretrained(files, { backend, warn: () => {} });
    const out = await model.forward(inputs);
    const data = Array.from(await out.last_hidden_state.data());
    const shape = [...out.last_hidden_state.shape];
    out.last_hidden_state.dispose();
    model.dispose();
    const info = adapter?.info;
    return {
      shape,
      data,
      adapter: info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(" ") : "unknown",
      features: adapter ? [...adapter.features] : [],
      f16: backend.supportsDtype("f16"),
    };
  } finally {
    backend.destroy();
  }
}

(globalThis as unknown as { runCase: typeof runCase }).runCase = runCase;
(globalThis as unknown as { pageReady: boolean }).pageReady = true;
