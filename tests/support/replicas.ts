/**
 * Several replicas of the BFF: each the real entry point (`server/src/main.ts`) in its own process, on its
 * own free port, sharing one MLflow, one OpenID provider (started here, with every replica's callback
 * registered) and one PostgreSQL session database, as an operator's `--scale signup=N` would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { MlflowServer } from './mlflow.js';
import { repoRoot } from './mlflow-venv.js';
import { REQUIRED_REALM_ROLES_FOR_TESTS, startOidcProvider, type OidcServer } from './oidc-provider.js';
import { freePort } from './ports.js';
import { CLIENT_ID } from './stack.js';
import { sleep } from './timing.js';

export interface Replicas {
  /** `http://127.0.0.1:<port>` of each replica, in start order. */
  origins: string[];
  oidc: OidcServer;
  stop(): Promise<void>;
}

export interface StartReplicasOptions {
  mlflow: MlflowServer;
  /**
   * The PostgreSQL database the replicas keep their sessions in (and, without DATABASE_URL, their registry).
   * Absent: each replica keeps sessions in its own memory, enough for tests of how replicas start.
   */
  sessionDatabaseUrl?: string;
  /** Default 2. */
  count?: number;
  /** Extra or overriding BFF variables. */
  env?: Record<string, string>;
}

/** Starts the replicas and resolves once every one answers `/readyz` with 200. */
export async function startReplicas(options: StartReplicasOptions): Promise<Replicas> {
  const ports = await Promise.all(Array.from({ length: options.count ?? 2 }, () => freePort()));
  const oidc = await startOidcProvider({
    clients: [
      {
        client_id: CLIENT_ID,
        redirect_uris: ports.map((p) => `http://127.0.0.1:${p}/signup/auth/callback`),
        post_logout_redirect_uris: ports.map((p) => `http://127.0.0.1:${p}/signup/`),
      },
    ],
  });
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    MLFLOW_HOSTNAME: options.mlflow.url,
    MLFLOW_USERNAME: options.mlflow.adminUsername,
    MLFLOW_PASSWORD: options.mlflow.adminPassword,
    OIDC_AUTHORITY: oidc.issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_SCOPE: 'openid email profile offline_access',
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    REQUIRED_REALM_ROLES: REQUIRED_REALM_ROLES_FOR_TESTS,
    SESSION_SECRET: 'shared-by-every-replica-0123456789abcdef',
    SESSION_DATABASE_URL: options.sessionDatabaseUrl,
    ...options.env,
  };
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null ? Promise.resolve() : new Promise((res) => child.once('exit', res)),
      ),
    );
    await oidc.stop();
  };

  async function startOne(port: number): Promise<string> {
    const origin = `http://127.0.0.1:${port}`;
    const log: string[] = [];
    const child = spawn(
      path.join(repoRoot, 'tests/node_modules/.bin/tsx'),
      [path.join(repoRoot, 'server/src/main.ts')],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ...env,
          PORT: String(port),
          OIDC_REDIRECT_URI: `${origin}/signup/auth/callback`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    child.stdout.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
    let last = 'no answer';
    for (let i = 0; i < 300; i++) {
      const status = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(5000) })
        .then(async (r) => ((last = `${r.status} ${await r.text()}`), r.status))
        .catch(() => 0);
      if (status === 200) return origin;
      if (child.exitCode !== null) break;
      await sleep(200);
    }
    throw new Error(
      `the BFF replica on ${port} did not become ready (last /readyz: ${last}):\n${log.join('').slice(-3000)}`,
    );
  }

  try {
    return { origins: await Promise.all(ports.map(startOne)), oidc, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
