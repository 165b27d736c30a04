import { describe, it, expect } from "vitest";
import { fileURLToPath } from "node:url";
import { directoryFiles } from "../../src/node/index.js";
import { loadFixtureCases, defineParitySuite } from "../../src/testing/parity.js";
import { NaiveBackend } from "./naive-backend.js";
const root = directoryFiles(fileURLToPath(new URL("../../../../fixtures/models", import.meta.url)));
const cases = (await loadFixtureCases(root, { classes: ["DebertaV2Model"] })).filter((c) => c.fixture !== "long-v3");
const be = new NaiveBackend();
defineParitySuite({ describe, it, expect }, { name: "naive", root, cases, backend: async () => be });
