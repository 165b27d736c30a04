import { defaultClientConditions, defineConfig } from "vite";
import { ISOLATION_HEADERS } from "./scripts/isolation.mjs";

// The workspace packages are bundled from their TypeScript sources (the "source" export condition, as vitest does),
// so the demo always runs the code in the checkout, never a stale `dist/`.
const conditions = ["source", ...defaultClientConditions];

export default defineConfig({
  base: "./",
  resolve: { conditions },
  worker: { format: "es" },
  build: {
    target: "es2022",
    sourcemap: true,
    // The model code is one worker chunk of a few hundred kB; that is expected.
    chunkSizeWarningLimit: 2000,
  },
  // crossOriginIsolated (COOP + COEP), so the CPU backend's WASM kernels get worker threads
  server: { host: "127.0.0.1", headers: ISOLATION_HEADERS },
  preview: { host: "127.0.0.1", headers: ISOLATION_HEADERS },
});
