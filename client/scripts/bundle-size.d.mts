/** Types of bundle-size.mjs, for the benchmark (tests/bench/run.ts). */
export function firstLoadScripts(dist: string): Promise<{ initial: string[]; lazy: string[] }>;
export function servedBytes(file: string): number;
