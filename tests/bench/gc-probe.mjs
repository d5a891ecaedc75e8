/**
 * Preloaded into the BFF by the benchmark (`node --expose-gc --import <this file> server/dist/main.js`):
 * on SIGUSR2 it runs a full garbage collection and writes the memory figures before and after it to
 * $BENCH_GC_PROBE_OUT, so that the benchmark can tell memory the BFF still holds from garbage V8 has
 * not collected yet. It changes nothing else in the process.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_GC_PROBE_OUT;
if (out && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    const before = process.memoryUsage();
    globalThis.gc();
    const after = process.memoryUsage();
    writeFileSync(out, JSON.stringify({ at: Date.now(), before, after }));
  });
}
