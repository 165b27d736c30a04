/**
 * The headers that make the demo page `crossOriginIsolated` — the condition for SharedArrayBuffer, hence for the CPU
 * backend's multithreaded WASM kernels (without it they run on one thread). Sent by scripts/serve.mjs (`pnpm demo`,
 * `pnpm serve`) and by vite's dev and preview servers (vite.config.ts).
 *
 * COEP `require-corp` still lets the page download models from the Hugging Face Hub: `fetch()` is a CORS request
 * and the Hub answers with `access-control-allow-origin`. Only no-cors subresources from other origins (none here)
 * would need a Cross-Origin-Resource-Policy header.
 */
export const ISOLATION_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
};
