// Types of scripts/source-size.mjs (imported by core's test/source-size.test.ts).
export declare const MAX_LINES: number;
export declare const ALLOWED: { pattern: RegExp; why: string }[];
export declare function sourceFiles(root: string): string[];
export declare function lineCount(text: string): number;
export declare function oversizedSources(root: string): { file: string; lines: number }[];
