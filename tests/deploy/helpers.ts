/**
 * Helpers for the deployment tests: run the real scripts of deploy/ against a throw-away PostgreSQL
 * (tests/support/postgres.ts) and the pinned MLflow, without Docker.
 *
 * - {@link createStackDatabases} runs deploy/database/init/10-create-databases.sh, as the postgres image
 *   does on a fresh volume.
 * - {@link startEntrypointMlflow} runs deploy/mlflow/entrypoint.sh, as the mlflow image does, with the
 *   MLflow of `.cache/mlflow/<version>`: a basic-auth MLflow whose tracking and auth stores are in that
 *   PostgreSQL. Other tests (e.g. the BFF registering a user) can start one the same way.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureMlflowVenv, MLFLOW_CURRENT, repoRoot } from '../support/mlflow-venv.js';
import type { PostgresServer } from '../support/postgres.js';
import { freePort } from '../support/ports.js';

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

export interface StackDatabases {
  mlflow: { name: string; user: string; password: string };
  auth: { name: string; user: string; password: string };
  signup: { name: string; user: string; password: string };
  /** The variables the init script and the mlflow entrypoint read (MLFLOW_DB_*, MLFLOW_AUTH_DB_*, SIGNUP_DB_*). */
  env: Record<string, string>;
}

/**
 * Runs the database init script against `server`. The default passwords of the MLflow roles contain
 * characters that must be escaped in a URL and in an ini file; the signup one is URL-safe, as required.
 */
export async function createStackDatabases(server: PostgresServer, overrides: Partial<Record<string, string>> = {}): Promise<StackDatabases> {
  const env: Record<string, string> = {
    MLFLOW_DB_NAME: 'mlflow',
    MLFLOW_DB_USER: 'mlflow',
    MLFLOW_DB_PASSWORD: `tr@ck:ing/p%40ss'w"rd$HOME`,
    MLFLOW_AUTH_DB_NAME: 'mlflow_auth',
    MLFLOW_AUTH_DB_USER: 'mlflow_auth',
    MLFLOW_AUTH_DB_PASSWORD: 'au#th?p&ss %s 100%',
    SIGNUP_DB_NAME: 'signup',
    SIGNUP_DB_USER: 'signup',
    SIGNUP_DB_PASSWORD: 'signup-Pw_0123.456~x',
  };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = v;
  await runScriptOk(scripts.createDatabases, [], pgToolsEnv(server, env));
  return {
    mlflow: { name: env.MLFLOW_DB_NAME!, user: env.MLFLOW_DB_USER!, password: env.MLFLOW_DB_PASSWORD! },
    auth: { name: env.MLFLOW_AUTH_DB_NAME!, user: env.MLFLOW_AUTH_DB_USER!, password: env.MLFLOW_AUTH_DB_PASSWORD! },
    signup: { name: env.SIGNUP_DB_NAME!, user: env.SIGNUP_DB_USER!, password: env.SIGNUP_DB_PASSWORD! },
    env,
  };
}

/** Runs one query as the superuser (or the given role) in `database`. */
export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  server: PostgresServer,
  database: string,
  sql: string,
  params: unknown[] = [],
  as?: { user: string; password: string },
): Promise<T[]> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    database,
    user: as?.user ?? server.superuser,
    password: as?.password ?? server.password,
  });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export interface MlflowResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON (401/403 are plain text). */
  json: any;
}

/**
 * One request to MLflow with node:http (fetch cannot set the Host header). GET parameters go into the
 * query string, other methods send `body` as JSON.
 */
export function mlflowRequest(
  baseUrl: string,
  method: string,
  apiPath: string,
  options: { auth?: [string, string]; body?: unknown; query?: Record<string, string>; host?: string } = {},
): Promise<MlflowResponse> {
  const url = new URL(apiPath, baseUrl);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {};
  if (options.auth) headers.authorization = `Basic ${Buffer.from(`${options.auth[0]}:${options.auth[1]}`).toString('base64')}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (options.host) headers.host = options.host;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export interface EntrypointMlflow {
  url: string;
  port: number;
  admin: { username: string; password: string };
  /** Temp dir: artifacts (`artifacts/`), the auth config written by the entrypoint (`mlflow-auth.*`). */
  workDir: string;
  /** Everything the entrypoint and MLflow printed so far. */
  logs(): string;
  request(method: string, apiPath: string, options?: Parameters<typeof mlflowRequest>[3]): Promise<MlflowResponse>;
  /** Stops MLflow and every process it started; removes the work dir unless `keepWorkDir`. */
  stop(options?: { keepWorkDir?: boolean }): Promise<void>;
}

export interface StartEntrypointMlflowOptions {
  server: PostgresServer;
  databases: StackDatabases;
  admin?: { username: string; password: string };
  /** Extra or overriding environment for the entrypoint. */
  env?: Record<string, string>;
  version?: string;
  workers?: number;
  /** Reuse a work dir (e.g. to keep the artifacts across a restart). */
  workDir?: string;
  startTimeoutMs?: number;
}

export const DEFAULT_ADMIN = { username: 'admin', password: 'Adm1n %pass$word#with spaces' };

/**
 * Starts MLflow through deploy/mlflow/entrypoint.sh against `server`, like the mlflow container:
 * entrypoint validation, auth ini, `mlflow db upgrade`, `mlflow server --app-name basic-auth`. Resolves once
 * /health answers; rejects with the logs if the entrypoint exits or does not come up in time.
 */
export async function startEntrypointMlflow(options: StartEntrypointMlflowOptions): Promise<EntrypointMlflow> {
  const install = await ensureMlflowVenv(options.version ?? MLFLOW_CURRENT);
  const admin = options.admin ?? DEFAULT_ADMIN;
  const port = await freePort();
  const workDir = options.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'mlflow-entrypoint-')));
  const env = baseEnv({
    PATH: `${install.venv}/bin:${process.env.PATH ?? '/usr/bin:/bin'}`,
    ...options.databases.env,
    MLFLOW_BIN: install.bin,
    MLFLOW_USERNAME: admin.username,
    MLFLOW_PASSWORD: admin.password,
    MLFLOW_FLASK_SERVER_SECRET_KEY: 'test-flask-secret-key-0123456789abcdef',
    DATABASE_HOST: options.server.host,
    DATABASE_PORT: String(options.server.port),
    MLFLOW_HOST: '127.0.0.1',
    MLFLOW_PORT: String(port),
    MLFLOW_WORKERS: String(options.workers ?? 1),
    MLFLOW_ARTIFACTS_DESTINATION: path.join(workDir, 'artifacts'),
    MLFLOW_AUTH_CONFIG_DIR: workDir,
    DOMAIN: 'mlflow.deploy.test',
    // MLflow 3's job runner (GenAI scorers; eight huey consumer processes, each importing MLflow) is not
    // what these tests are about, and it makes every start several times slower on a small machine.
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    ...options.env,
  });
  let logs = '';
  const append = (d: Buffer) => {
    logs += d.toString();
    if (logs.length > 400_000) logs = logs.slice(-300_000);
  };
  // Own process group, so that stop() reaches uvicorn, its workers and MLflow's job runner too.
  const child = spawn(scripts.mlflowEntrypoint, [], { env, cwd: workDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* group gone */
    }
  };
  const stop = async (stopOptions: { keepWorkDir?: boolean } = {}) => {
    if (!stopped) {
      stopped = true;
      killGroup('SIGTERM');
      if (!(await within(exited, 20_000))) killGroup('SIGKILL');
      // Children that outlive the entrypoint's own process (workers, job runner) share its group.
      await sleep(500);
      killGroup('SIGKILL');
      await within(exited, 5_000);
    }
    if (!stopOptions.keepWorkDir && !options.workDir) await rm(workDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  for (;;) {
    if (exitCode !== undefined) {
      await stop();
      throw new Error(`deploy/mlflow/entrypoint.sh exited (${exitCode}) before MLflow answered:\n${logs.slice(-8000)}`);
    }
    try {
      const r = await mlflowRequest(url, 'GET', '/health');
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`MLflow did not answer /health within ${(options.startTimeoutMs ?? 180_000) / 1000}s:\n${logs.slice(-8000)}`);
    }
    await sleep(500);
  }
  return {
    url,
    port,
    admin,
    workDir,
    logs: () => logs,
    request: (method, apiPath, requestOptions) => mlflowRequest(url, method, apiPath, requestOptions),
    stop,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` settles within `ms` (the timer is cleared either way, so it keeps nothing alive). */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
