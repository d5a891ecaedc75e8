/**
 * Running the real shell scripts of deploy/ from the deployment tests: where they are, a minimal
 * environment for them (nothing of the caller's MLFLOW_* / PG* / DATABASE_* leaks in), and running one to
 * completion with its output collected.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../support/mlflow-venv.js';
import type { PostgresServer } from '../support/postgres.js';

export { repoRoot };
export const deployDir = path.join(repoRoot, 'deploy');
export const scripts = {
  createDatabases: path.join(deployDir, 'database', 'init', '10-create-databases.sh'),
  mlflowEntrypoint: path.join(deployDir, 'mlflow', 'entrypoint.sh'),
  backup: path.join(deployDir, 'backup', 'backup.sh'),
  restore: path.join(deployDir, 'backup', 'restore.sh'),
  backupLoop: path.join(deployDir, 'backup', 'backup-loop.sh'),
};

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A minimal environment: nothing of the caller's MLFLOW_* / PG* / DATABASE_* leaks into a script. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'LOGNAME'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return { ...env, ...extra };
}

/** libpq variables of the superuser plus the server's own client tools first in PATH (pg_dump = server version). */
export function pgToolsEnv(server: PostgresServer, extra: Record<string, string> = {}): Record<string, string> {
  return baseEnv({ ...server.env(), PATH: `${server.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`, ...extra });
}

/** Runs a script to completion (bounded by `timeoutMs`, then SIGKILL) and collects its output. */
export function runScript(file: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function describeResult(r: ScriptResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-6000)}`;
}

/** Runs a script and fails with its output unless it exits 0. */
export async function runScriptOk(file: string, args: string[], env: Record<string, string>, timeoutMs?: number): Promise<ScriptResult> {
  const r = await runScript(file, args, env, timeoutMs);
  if (r.code !== 0) throw new Error(`${path.relative(repoRoot, file)} ${args.join(' ')} failed: ${describeResult(r)}`);
  return r;
}
