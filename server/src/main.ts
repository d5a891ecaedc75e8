/**
 * Entry point: reads the environment (and, outside production, `.env.local` then `.env` at the repository
 * root), validates it, starts the server and shuts down cleanly on SIGTERM/SIGINT.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { loadConfig } from './config.js';
import { startServer } from './server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
if (process.env.NODE_ENV !== 'production') {
  // Real environment variables win over .env.local, which wins over .env.
  dotenv.config({ path: [path.join(repoRoot, '.env.local'), path.join(repoRoot, '.env')], quiet: true });
}

const result = loadConfig(process.env);
if (!result.ok) {
  process.stderr.write(
    `The MLflow sign-up service cannot start: fix the configuration.\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`,
  );
  process.exit(1);
}
for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);

const running = await startServer(result.config);
let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void running.close().then(() => process.exit(0));
    setTimeout(() => process.exit(1), 10_000).unref();
  });
}
