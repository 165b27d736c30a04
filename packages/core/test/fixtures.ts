// Paths of the repo's fixture copies (never ../shared).
import { fileURLToPath } from "node:url";
import { directoryFiles } from "../src/node/index.js";

export const FIXTURES = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
export const fixtureRoot = directoryFiles(FIXTURES);
