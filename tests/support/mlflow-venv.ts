/**
 * Installs a pinned MLflow into a cached, git-ignored virtualenv under `.cache/mlflow/<version>`.
 *
 * The tests and the demo talk to a real MLflow server, so the harness owns its installation: nothing is
 * skipped because MLflow is missing, and a broken install fails loudly with pip's own output.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The version new deployments run, and the version the seed deployment pins. */
export const MLFLOW_CURRENT = '3.18.0';
export const MLFLOW_LEGACY = '2.21.2';

/**
 * How each pinned version is installed. The package registry reachable here serves the `mlflow` 3.18.0
 * wheel (which carries the whole `mlflow` package, server and auth app included) but not its
 * `mlflow-skinny`/`mlflow-tracing` 3.18.0 companions, so 3.18.0 is laid over the dependency set of 3.17.2.
 * `mlflow --version` and the server then report 3.18.0, and the server code that runs is 3.18.0's.
 */
const INSTALL_STEPS: Record<string, string[][]> = {
  '3.18.0': [
    ['mlflow[auth]==3.17.2', 'psycopg2-binary'],
    ['--no-deps', 'mlflow==3.18.0'],
  ],
  // 2.21.2 only bounds SQLAlchemy below 3, but SQLAlchemy 2.1 removed `FallbackAsyncAdaptedQueuePool`, which
  // 2.21.2's `mlflow.store.db.utils` imports: with 2.1.x the server dies at start ("Error initializing backend store").
  '2.21.2': [['mlflow[auth]==2.21.2', 'psycopg2-binary', 'sqlalchemy<2.1']],
};

export interface MlflowInstall {
  version: string;
  venv: string;
  /** The `mlflow` executable inside the virtualenv. */
  bin: string;
  /** The virtualenv's python, for helper scripts that import mlflow. */
  python: string;
}

function run(cmd: string, args: string[], logPrefix: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${logPrefix}: ${cmd} ${args.join(' ')} exited ${code}\n${output.slice(-4000)}`)),
    );
  });
}

/** Returns the install for `version`, creating it first when it is missing or half-made. */
export async function ensureMlflowVenv(version: string = MLFLOW_CURRENT): Promise<MlflowInstall> {
  const steps = INSTALL_STEPS[version];
  if (!steps)
    throw new Error(`No install recipe for MLflow ${version}; known: ${Object.keys(INSTALL_STEPS).join(', ')}`);
  const venv = path.join(repoRoot, '.cache', 'mlflow', version);
  const install: MlflowInstall = {
    version,
    venv,
    bin: path.join(venv, 'bin', 'mlflow'),
    python: path.join(venv, 'bin', 'python'),
  };
  const marker = path.join(venv, '.complete');
  const recipe = JSON.stringify(steps);
  if (existsSync(marker) && (await readFile(marker, 'utf8')) === recipe) return install;

  await rm(venv, { recursive: true, force: true });
  await mkdir(path.dirname(venv), { recursive: true });
  const python = process.env.PYTHON ?? 'python3';
  process.stderr.write(`Installing MLflow ${version} into ${venv} (first run only, a few minutes)…\n`);
  await run(python, ['-m', 'venv', venv], `MLflow ${version}`);
  await run(install.python, ['-m', 'pip', 'install', '--quiet', '--upgrade', 'pip'], `MLflow ${version}`);
  for (const step of steps) {
    await run(install.python, ['-m', 'pip', 'install', '--quiet', ...step], `MLflow ${version}`);
  }
  await writeFile(marker, recipe);
  return install;
}

/** `tsx tests/support/mlflow-venv.ts [version…]` installs the given (default: all pinned) versions. */
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const versions = process.argv.slice(2);
  for (const v of versions.length ? versions : Object.keys(INSTALL_STEPS)) {
    const inst = await ensureMlflowVenv(v);
    process.stdout.write(`MLflow ${v}: ${inst.bin}\n`);
  }
}
