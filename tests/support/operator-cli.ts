/**
 * The operator's command line (`server/src/cli.ts`) run as an operator runs it: in its own process, with
 * the configuration of the deployment in its environment (for a stack: `stack().env`).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../../server/src/config.js';
import { repoRoot } from './mlflow-venv.js';

export interface CliResult {
  /** The exit code (null when the process was killed). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cli <args…>` and resolves when it exits; after `timeoutMs` its process group is killed.
 *
 * Every variable the service reads is passed, empty when `env` does not set it: outside production the CLI
 * also reads `.env` at the repository root, which fills in only variables that are absent, so a
 * developer's `.env` cannot point the test at another database.
 */
export function runCli(
  args: string[],
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = 60_000,
): Promise<CliResult> {
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn' };
  for (const name of CONFIG_VARIABLES) childEnv[name] = env[name] ?? childEnv[name] ?? '';
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(repoRoot, 'tests/node_modules/.bin/tsx'),
      [path.join(repoRoot, 'server/src/cli.ts'), ...args],
      // Its own process group: tsx runs the CLI in a child process, and a kill must reach both.
      { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
