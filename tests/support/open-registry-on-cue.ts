/**
 * A process that opens the BFF's registry (and so applies its migrations) on cue, for the race tests: run
 * `tsx open-registry-on-cue.ts <sqlite file | postgres:// URL>`; it prints `ready` once loaded, opens the
 * registry when a line arrives on stdin, and exits 0, or prints the error and exits 1. Processes started apart are released together, within the same millisecond,
 * which starting real replicas (each loading the whole server first) cannot arrange.
 */
import { createInterface } from 'node:readline';
import { openRegistry } from '../../server/src/registry/index.js';

const target = process.argv[2];
if (!target) throw new Error('usage: open-registry-on-cue.ts <sqlite file | postgres:// URL>');
const settings = /^postgres(ql)?:\/\//.test(target)
  ? { kind: 'postgres' as const, url: target }
  : { kind: 'sqlite' as const, file: target };

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
lines.once('line', () => {
  lines.close();
  process.stdin.destroy();
  openRegistry(settings)
    .then((registry) => registry.close())
    .catch((err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    });
});
