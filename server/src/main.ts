/**
 * Entry point: reads and validates the configuration (see `environment.ts`), starts the server and shuts
 * down cleanly on SIGTERM/SIGINT.
 */
import { configFromEnvironment } from './environment.js';
import { startServer } from './server.js';

const config = configFromEnvironment();
const running = await startServer(config).catch((err: unknown) => {
  process.stderr.write(
    `The MLflow sign-up service cannot start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void running.close().then(() => process.exit(0));
    setTimeout(() => process.exit(1), 10_000).unref();
  });
}
