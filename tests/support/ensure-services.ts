/**
 * `pnpm --filter ./tests run prepare-services`: installs, once, everything outside npm that the test suites
 * start for real — both pinned MLflow versions and the pinned Traefik binary — so that the first test does
 * not spend minutes installing, and a broken install fails here, loudly, before any test runs.
 */
import { ensureTraefik } from '../deploy/traefik.js';
import { ensureMlflowVenv, MLFLOW_CURRENT, MLFLOW_LEGACY } from './mlflow-venv.js';
import { findPostgresBinDir } from './postgres.js';

for (const version of [MLFLOW_CURRENT, MLFLOW_LEGACY]) {
  const install = await ensureMlflowVenv(version);
  process.stdout.write(`MLflow ${version}: ${install.bin}\n`);
}
process.stdout.write(`Traefik: ${await ensureTraefik()}\n`);
process.stdout.write(`PostgreSQL: ${findPostgresBinDir()}\n`);
