// Loading options, resolved once for every entry point (see load.ts), the `env` defaults and the shared backends.
export * from "./names.js";
export * from "./env.js";
export * from "./backends.js";
export * from "./load.js";
