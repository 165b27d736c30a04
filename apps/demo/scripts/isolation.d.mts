/** See isolation.mjs. */
export declare const ISOLATION_HEADERS: Readonly<Record<string, string>>;
