export { buildProgram } from "./program.js";
export { forwardCommand } from "./commands/forward.js";
export { benchCommand, benchIds } from "./commands/bench.js";
export { infoCommand } from "./commands/info.js";
export { loadBackend, parseDtype, BACKEND_NAMES } from "./backends.js";
