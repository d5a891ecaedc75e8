/**
 * The local demo: the whole flow on this machine with embedded defaults. Starts a real MLflow (installed
 * into `.cache/` on first run), the demo OpenID provider with its accounts, the PAPI double and the BFF
 * serving the built SPA, all on 127.0.0.1, then prints where to go and how to sign in. Ctrl-C stops all.
 *
 * `DEMO_PORT` (default 3000) moves the BFF; `DEMO_MLFLOW_VERSION` picks 3.18.0 (default) or 2.21.2.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, startServer } from '../../server/src/index.js';
import { ensureMlflowVenv, MLFLOW_CURRENT, repoRoot } from './mlflow-venv.js';
import { startMlflow } from './mlflow.js';
import { demoAccounts, startOidcProvider, REQUIRED_REALM_ROLES_FOR_TESTS } from './oidc-provider.js';
import { startPapiDouble } from './papi-double.js';
import { freePort } from './ports.js';

const VO = 'vo.ai4eosc.eu';
const version = process.env.DEMO_MLFLOW_VERSION ?? MLFLOW_CURRENT;
const stops: Array<() => Promise<unknown>> = [];

async function portFree(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net
      .createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function main() {
  if (!existsSync(path.join(repoRoot, 'client', 'dist', 'index.html'))) {
    throw new Error('client/dist is missing: run `pnpm build` first (scripts/demo.sh does).');
  }
  const wanted = Number(process.env.DEMO_PORT ?? 3000);
  const port = (await portFree(wanted)) ? wanted : await freePort();
  const origin = `http://127.0.0.1:${port}`;

  process.stdout.write(`Preparing MLflow ${version} (the first run installs it, a few minutes)…\n`);
  await ensureMlflowVenv(version);
  const mlflow = await startMlflow({ version, adminPassword: 'demo-admin-password-123' });
  stops.push(() => mlflow.destroy());

  const oidc = await startOidcProvider({
    clients: [
      {
        client_id: 'mlflow-signup-demo',
        redirect_uris: [`${origin}/signup/auth/callback`],
        post_logout_redirect_uris: [`${origin}/signup/`],
      },
    ],
  });
  stops.push(() => oidc.stop());
  const papi = await startPapiDouble({ issuer: oidc.issuer });
  stops.push(() => papi.stop());

  // The registry lives as long as the demo's MLflow: both start empty every time.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-signup-demo-'));
  stops.push(() => rm(dataDir, { recursive: true, force: true }));

  const result = loadConfig({
    DATA_DIR: dataDir,
    MLFLOW_HOSTNAME: mlflow.url,
    MLFLOW_USERNAME: mlflow.adminUsername,
    MLFLOW_PASSWORD: mlflow.adminPassword,
    OIDC_AUTHORITY: oidc.issuer,
    OIDC_CLIENT_ID: 'mlflow-signup-demo',
    OIDC_SCOPE: 'openid email profile eduperson_entitlement offline_access',
    OIDC_REDIRECT_URI: `${origin}/signup/auth/callback`,
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    REQUIRED_REALM_ROLES: REQUIRED_REALM_ROLES_FOR_TESTS,
    USER_CREDENTIALS_SECRETS_API: papi.url,
    USER_CREDENTIALS_SECRETS_VO: VO,
    PRIVACY_POLICY_URL: 'https://example.org/privacy',
    TERMS_OF_USE_URL: 'https://example.org/terms',
    SESSION_SECRET: 'demo-session-secret-not-for-production-0123',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const bff = await startServer(result.config, {
    logger: pino({ level: result.config.logLevel }),
    host: '127.0.0.1',
    port,
  });
  stops.push(() => bff.close());

  const rows = demoAccounts.map((a) => `  ${a.login.padEnd(7)} ${a.password.padEnd(22)} ${a.description}`).join('\n');
  process.stdout.write(`
MLflow sign-up demo is running.

  Open           ${origin}/signup/
  MLflow         ${mlflow.url}  (admin: ${mlflow.adminUsername} / ${mlflow.adminPassword})
  OpenID issuer  ${oidc.issuer}
  PAPI double    ${papi.url}  (Vault copy of the credentials, VO ${VO})

Eligibility: the realm role ${REQUIRED_REALM_ROLES_FOR_TESTS}. Demo accounts (login, password):
${rows}

Press Ctrl-C to stop everything.
`);
}

async function shutdown(code: number) {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err: Error) => {
  process.stderr.write(`The demo could not start: ${err.message}\n`);
  await shutdown(1);
});
