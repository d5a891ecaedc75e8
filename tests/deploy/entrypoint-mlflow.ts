/**
 * MLflow started the way the mlflow image starts it: {@link startEntrypointMlflow} runs
 * deploy/mlflow/entrypoint.sh with the MLflow of `.cache/mlflow/<version>`, giving a basic-auth MLflow whose
 * tracking and auth stores are in the PostgreSQL databases of databases.ts. Other tests (e.g. the BFF
 * registering a user) can start one the same way. {@link mlflowRequest} talks to it with node:http.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ensureMlflowVenv, MLFLOW_CURRENT } from '../support/mlflow-venv.js';
import type { PostgresServer } from '../support/postgres.js';
import { freePort } from '../support/ports.js';
import { sleep, within } from '../support/timing.js';
import type { StackDatabases } from './databases.js';
import { baseEnv, scripts } from './scripts.js';

interface MlflowResponse {
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
function mlflowRequest(
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

const DEFAULT_ADMIN = { username: 'admin', password: 'Adm1n %pass$word#with spaces' };

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
