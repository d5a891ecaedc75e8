/**
 * Starts a real MLflow tracking server with the basic-auth app, for the integration tests, the browser
 * tests and the local demo.
 *
 * The BFF's whole job is to drive MLflow's auth REST API, whose behaviour differs between releases in
 * ways no hand-written fake would track (see the list below). So every test talks to the real server of
 * a pinned version, installed by `mlflow-venv.ts`, with its own throw-away data directory and port.
 *
 * Where the real servers contradict the upstream notes (docs/reference/mlflow-auth-api.md) (checked against 3.18.0
 * and 2.21.2 with this launcher; the server is right):
 *
 * - 2.21.2 has **no** `GET /api/2.0/mlflow/users/current` (404 HTML page), nor `users/list`, nor any
 *   `/api/3.0/...` permission route. To check credentials on 2.x, call
 *   `GET /api/2.0/mlflow/users/get?username=<self>` with them: a user may read their own record.
 * - 2.21.2 has no password rule at all (a 5-character password is accepted by `users/create` and
 *   `users/update-password`), and a non-admin changing their own password does not need `current_password`.
 * - 2.21.2's `DELETE` endpoints (`users/delete`, `experiments/permissions/delete`) need a JSON body: the
 *   query-string form answers 415 (HTML). 3.18.0 accepts both.
 * - 2.21.2's `RESOURCE_ALREADY_EXISTS` message on `users/create` embeds the SQL statement and the new
 *   user's password hash: never show MLflow's `message` to a person verbatim.
 * - 3.18.0's short-password message is "Password must be at least 12 characters." (not "...longer than 12
 *   characters."); the rule itself is as documented (11 rejected, 12 accepted).
 * - The 401 and 403 bodies are plain sentences but are served as `Content-Type: text/html; charset=utf-8`.
 * - 3.18.0's removed legacy permission routes answer 404 only to an admin: to a non-admin they answer
 *   403 `Permission denied` (the auth check runs first). Probe the generation as the admin.
 * - 3.18.0 `GET /api/3.0/mlflow/users/permissions/get` answers `allowed: false` for an effective `READ`:
 *   `allowed` mirrors "can use", so read `permission`, not `allowed`.
 * - 3.18.0 `GET /api/2.0/mlflow/users/list` is open to any authenticated user, not only admins.
 * - The unprotected server-info route is `/api/3.0/mlflow/server-info` (and `/ajax-api/...`) on 3.18.0;
 *   `/mlflow/server-info` itself is 404 there, and 401 on 2.21.2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { ensureMlflowVenv, MLFLOW_CURRENT, type MlflowInstall } from './mlflow-venv.js';
import { freePort } from './ports.js';
import { sleep } from './timing.js';

export interface StartMlflowOptions {
  /** A version `mlflow-venv.ts` knows how to install. Default {@link MLFLOW_CURRENT}. */
  version?: string;
  /** `default_permission` in the auth ini. Default `NO_PERMISSIONS` (private by default, as deployed). */
  defaultPermission?: 'READ' | 'NO_PERMISSIONS';
  /** Default `admin`. */
  adminUsername?: string;
  /** Default: a random 24-character string (3.16.1+ refuses to start without one of 12 or more). */
  adminPassword?: string;
  /** How long to wait for the server to be ready, in ms. Default 90 000. */
  startTimeoutMs?: number;
}

export interface MlflowServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** The MLflow version actually running. */
  version: string;
  adminUsername: string;
  adminPassword: string;
  /** The temp directory holding auth.ini, both SQLite databases, artifacts and `server.log`. */
  dataDir: string;
  /** The server's combined stdout/stderr. */
  logFile: string;
  /** How long the last (re)start took until the admin could authenticate, in ms. */
  startupMs: number;
  /** Stops the whole process tree (SIGTERM, then SIGKILL after 10 s) and waits until it is gone. Keeps the data. */
  stop(): Promise<void>;
  /** Starts the server again on the same port with the same data (stopping it first if it runs). */
  restart(): Promise<void>;
  /** {@link stop}, then deletes {@link dataDir}. */
  destroy(): Promise<void>;
  /** The `Authorization` header value for HTTP Basic auth: `Basic base64(username:password)`. */
  basicAuth(username: string, password: string): string;
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Whether this install reads `MLFLOW_AUTH_ADMIN_USERNAME/PASSWORD` (3.x does; 2.x reads only the ini). */
function supportsAdminEnv(install: MlflowInstall): boolean {
  const lib = path.join(install.venv, 'lib');
  for (const py of readdirSync(lib)) {
    const config = path.join(lib, py, 'site-packages', 'mlflow', 'server', 'auth', 'config.py');
    if (existsSync(config)) return readFileSync(config, 'utf8').includes('MLFLOW_AUTH_ADMIN_PASSWORD');
  }
  return false;
}

function tail(file: string, lines = 60): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Whether any process of the group led by `pgid` is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Group ids of servers still running, killed if the test process exits without stopping them. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
});

/**
 * Installs (if needed) and starts MLflow `version` with `--app-name basic-auth` on a free port of
 * 127.0.0.1, with SQLite stores in a fresh temp directory. Resolves once `GET /health` answers 200 **and**
 * the admin can authenticate with Basic auth; rejects after the timeout with the tail of the server log.
 */
export async function startMlflow(opts: StartMlflowOptions = {}): Promise<MlflowServer> {
  const install = await ensureMlflowVenv(opts.version ?? MLFLOW_CURRENT);
  const adminUsername = opts.adminUsername ?? 'admin';
  const adminPassword = opts.adminPassword ?? randomBytes(18).toString('base64url');
  const defaultPermission = opts.defaultPermission ?? 'NO_PERMISSIONS';
  const timeoutMs = opts.startTimeoutMs ?? 90_000;
  if (/[\r\n]/.test(adminUsername + adminPassword))
    throw new Error('startMlflow: admin username/password must be one line');

  const dataDir = await mkdtemp(path.join(os.tmpdir(), `mlflow-${install.version}-`));
  const authIni = path.join(dataDir, 'auth.ini');
  const logFile = path.join(dataDir, 'server.log');
  await writeFile(
    authIni,
    [
      '[mlflow]',
      `default_permission = ${defaultPermission}`,
      `database_uri = sqlite:///${path.join(dataDir, 'basic_auth.db')}`,
      // configparser interpolates `%`: double it so any password survives.
      `admin_username = ${adminUsername.replace(/%/g, '%%')}`,
      // 2.x takes the admin password only from here; 3.x from here or the environment.
      `admin_password = ${adminPassword.replace(/%/g, '%%')}`,
      'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    'server',
    '--app-name',
    'basic-auth',
    '--backend-store-uri',
    `sqlite:///${path.join(dataDir, 'mlflow.db')}`,
    '--serve-artifacts',
    '--artifacts-destination',
    path.join(dataDir, 'artifacts'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    '1',
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MLFLOW_AUTH_CONFIG_PATH: authIni,
    MLFLOW_FLASK_SERVER_SECRET_KEY: randomBytes(24).toString('hex'),
    // 3.x starts a job runner and ~8 huey consumer processes for server-side jobs (scorers, ...) that the
    // auth API never uses: without them the server starts faster and stops in ~2 s instead of ~10 s.
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    // The 3.18.0 install is laid over 3.17.2's companion packages (see mlflow-venv.ts); silence the
    // version-mismatch warning every worker prints.
    PYTHONWARNINGS: 'ignore:Versions of mlflow:UserWarning',
  };
  if (supportsAdminEnv(install)) {
    env.MLFLOW_AUTH_ADMIN_USERNAME = adminUsername;
    env.MLFLOW_AUTH_ADMIN_PASSWORD = adminPassword;
  }
  const adminHeader = basicAuth(adminUsername, adminPassword);

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  function launch(): void {
    const fd = openSync(logFile, 'a');
    try {
      // detached: the server runs in its own process group, so stop() can kill the uvicorn/gunicorn workers too.
      child = spawn(install.bin, args, { cwd: dataDir, env, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const proc = child;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.once('error', () => undefined); // surfaced through the readiness check and the log
    if (proc.pid !== undefined) liveGroups.add(proc.pid);
  }

  async function probe(pathAndQuery: string, headers: Record<string, string> = {}): Promise<number> {
    try {
      const res = await fetch(url + pathAndQuery, { headers, signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** True once the admin authenticates: `users/current` on 3.x, `users/get` on 2.x (which lacks `current`). */
  async function adminCanAuthenticate(): Promise<boolean> {
    const current = await probe('/api/2.0/mlflow/users/current', { Authorization: adminHeader });
    if (current === 200) return true;
    if (current !== 404) return false;
    const get = await probe(`/api/2.0/mlflow/users/get?username=${encodeURIComponent(adminUsername)}`, {
      Authorization: adminHeader,
    });
    return get === 200;
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc || proc.pid === undefined) return;
    const pgid = proc.pid;
    killGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
    if (groupAlive(pgid)) killGroup(pgid, 'SIGKILL');
    // Bounded: where PID 1 does not reap orphans, killed workers linger as zombies (holding no port).
    const killDeadline = Date.now() + 5_000;
    while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
    await exited;
    liveGroups.delete(pgid);
    child = undefined;
  }

  async function startAndWait(): Promise<number> {
    const started = Date.now();
    launch();
    const deadline = started + timeoutMs;
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    let health = 0;
    while (Date.now() < deadline) {
      if (exitedEarly) break;
      health = await probe('/health');
      if (health === 200 && (await adminCanAuthenticate())) return Date.now() - started;
      await sleep(250);
    }
    const why = exitedEarly
      ? `exited with code ${String(child?.exitCode)} before it was ready`
      : `was not ready after ${timeoutMs} ms (last /health status: ${health || 'no answer'}; or the admin could not authenticate)`;
    await stop();
    throw new Error(
      `MLflow ${install.version} on ${url} ${why}.\nData dir: ${dataDir}\n--- tail of ${logFile} ---\n${tail(logFile)}`,
    );
  }

  const server: MlflowServer = {
    url,
    version: install.version,
    adminUsername,
    adminPassword,
    dataDir,
    logFile,
    startupMs: 0,
    stop,
    async restart() {
      await stop();
      server.startupMs = await startAndWait();
    },
    async destroy() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    basicAuth,
  };
  server.startupMs = await startAndWait();
  // `/version` is what the server itself reports: catch a venv whose contents are not the version its
  // directory is named after.
  const reported = await fetch(`${url}/version`, { headers: { Authorization: adminHeader } }).then((r) => r.text());
  if (reported.trim() !== install.version) {
    await server.destroy();
    throw new Error(`MLflow in ${install.venv} reports version ${reported.trim()}, expected ${install.version}`);
  }
  return server;
}
