import { defaultClientConditions, defineConfig } from "vite";

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
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
