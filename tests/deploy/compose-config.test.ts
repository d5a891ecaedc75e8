/**
 * The compose files of deploy/, checked without a Docker engine: `docker-compose config` (which needs no
 * daemon) renders every supported combination with a complete env file made from the samples, and the
 * rendered configuration is checked for the facts the deployment relies on. Dockerfiles and scripts are
 * checked statically (what can be checked without building images).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import { CONFIG_VARIABLES, loadConfig } from '../../server/src/config.js';
import { createSessionStore } from '../../server/src/auth/session-store.js';
import { createCsrf } from '../../server/src/security/csrf.js';
import { sessionMiddleware, SESSION_COOKIE } from '../../server/src/security/session.js';
import { listen } from '../support/ports.js';
import {
  BFF_VARIABLES,
  combinations,
  composeConfig,
  composeVariables,
  envOf,
  fullEnv,
  labelsOf,
  parseSample,
  portsOf,
  render,
  rootSample,
  samples,
  SET_BY_COMPOSE,
  stackSample,
  volumesOf,
} from './compose.js';
import { deployDir, repoRoot, scripts } from './scripts.js';

const T = 60_000; // tests/jest.config.js's testTimeout is ignored inside `projects`

describe('environment samples', () => {
  it('documents every variable of the stack, each under a comment', () => {
    expect(existsSync(stackSample) || existsSync(rootSample)).toBe(true);
    const documented = new Set(samples.flatMap((f) => parseSample(f).map((e) => e.key)));
    // Until the BFF part is merged into .env.sample, its variables are documented by the BFF itself.
    if (!existsSync(rootSample)) for (const v of BFF_VARIABLES) documented.add(v);
    const missing = [...composeVariables().all].filter((v) => !documented.has(v));
    expect(missing).toEqual([]);
    for (const file of samples) {
      const uncommented = parseSample(file).filter((e) => !e.commented).map((e) => e.key);
      expect({ file: path.relative(repoRoot, file), uncommented }).toEqual({ file: path.relative(repoRoot, file), uncommented: [] });
    }
  });

  it('leaves every secret of the stack empty in its sample', () => {
    const stackSecrets = ['DATABASE_PASSWORD', 'MLFLOW_DB_PASSWORD', 'MLFLOW_AUTH_DB_PASSWORD', 'SIGNUP_DB_PASSWORD', 'MLFLOW_FLASK_SERVER_SECRET_KEY'];
    const secrets = samples.flatMap((f) => parseSample(f)).filter((e) => stackSecrets.includes(e.key));
    expect(new Set(secrets.map((e) => e.key))).toEqual(new Set(stackSecrets));
    for (const { key, value } of secrets) expect({ key, value }).toEqual({ key, value: '' });
  });
});

describe('docker-compose config', () => {
  it.each(Object.keys(combinations))('renders the %s combination with a complete env file', async (combination) => {
    const config = await render(combination);
    expect(Object.keys(config.services).sort()).toEqual(['backup_db', 'database', 'mlflow', 'reverse-proxy', 'signup']);
  }, T);

  const required = composeVariables().required;
  it('has required variables', () => {
    expect([...required.keys()]).toEqual(
      expect.arrayContaining(['DOMAIN', 'MLFLOW_USERNAME', 'MLFLOW_PASSWORD', 'DATABASE_PASSWORD', 'SESSION_SECRET', 'LETSENCRYPT_EMAIL']),
    );
  });

  it.each([...required.keys()])('fails naming %s when it is missing', async (variable) => {
    const env = fullEnv();
    delete env[variable];
    const needs = required.get(variable)!;
    const files = needs.has('base') ? combinations.base! : needs.has('prod') ? combinations.production! : combinations['production-signup-host']!;
    const r = await composeConfig(files, env);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`${variable} is required`);
  }, T);

  it('needs LETSENCRYPT_EMAIL in production only', async () => {
    const env = fullEnv();
    delete env.LETSENCRYPT_EMAIL;
    expect((await composeConfig(combinations.development!, env)).status).toBe(0);
    expect((await composeConfig(combinations.production!, env)).status).not.toBe(0);
  }, T);

  it('when SIGNUP_HOST is not set, then the same-origin layouts render exactly as with it, and the own-host ones fail naming it', async () => {
    const env = fullEnv();
    env.SIGNUP_HOST = ''; // as in the samples
    for (const combination of ['base', 'development', 'production']) {
      const r = await composeConfig(combinations[combination]!, env);
      expect({ combination, status: r.status }).toEqual({ combination, status: 0 });
      expect(r.config).toEqual(await render(combination));
    }
    for (const combination of ['development-signup-host', 'production-signup-host']) {
      const r = await composeConfig(combinations[combination]!, env);
      expect({ combination, failed: r.status !== 0 }).toEqual({ combination, failed: true });
      expect(r.output).toContain('SIGNUP_HOST is required with compose.signup-host.yml');
    }
  }, T);
});

describe('the rendered stack', () => {
  it('routes BASE_PATH to signup and everything else to mlflow through Traefik v3', async () => {
    const { services } = await render('base');
    expect(services['reverse-proxy'].image).toMatch(/^traefik:v3\.\d+\.\d+$/);
    const proxyEnv = envOf(services['reverse-proxy']);
    expect(proxyEnv).toMatchObject({
      TRAEFIK_PROVIDERS_DOCKER: 'true',
      TRAEFIK_PROVIDERS_DOCKER_EXPOSEDBYDEFAULT: 'false',
      TRAEFIK_ENTRYPOINTS_WEB_ADDRESS: ':80',
      TRAEFIK_ACCESSLOG: 'true',
    });
    expect(volumesOf(services['reverse-proxy'])).toContain('/var/run/docker.sock:/var/run/docker.sock:ro');
    const signup = labelsOf(services.signup);
    expect(signup).toMatchObject({
      'traefik.enable': 'true',
      'traefik.http.routers.signup.rule': 'Host(`mlflow.example.org`) && PathPrefix(`/signup`)',
      'traefik.http.services.signup.loadbalancer.server.port': '3000',
    });
    const mlflow = labelsOf(services.mlflow);
    expect(mlflow).toMatchObject({
      'traefik.enable': 'true',
      'traefik.http.routers.mlflow.rule': 'Host(`mlflow.example.org`) && !PathPrefix(`/signup`)',
      'traefik.http.services.mlflow.loadbalancer.server.port': '5000',
    });
    // Nothing else is published than the proxy.
    for (const name of ['mlflow', 'signup', 'database', 'backup_db']) expect(portsOf(services[name])).toEqual([]);
    expect(portsOf(services['reverse-proxy'])).toEqual(['80:80']);
  }, T);

  it('sets generous proxy timeouts and no body limit', async () => {
    const { services } = await render('production');
    const proxyEnv = envOf(services['reverse-proxy']);
    for (const ep of ['WEB', 'WEBSECURE']) {
      expect(proxyEnv[`TRAEFIK_ENTRYPOINTS_${ep}_TRANSPORT_RESPONDINGTIMEOUTS_READTIMEOUT`]).toBe('3600s');
      expect(proxyEnv[`TRAEFIK_ENTRYPOINTS_${ep}_TRANSPORT_RESPONDINGTIMEOUTS_WRITETIMEOUT`]).toBe('3600s');
    }
    const allLabels = Object.values(services).flatMap((s: any) => Object.keys(labelsOf(s)));
    expect(allLabels.filter((l) => /buffering|maxRequestBodyBytes/i.test(l))).toEqual([]);
  }, T);

  it('serves HTTPS with Let’s Encrypt (TLS-ALPN) in production, HTTP redirecting to it', async () => {
    const { services, volumes } = await render('production');
    const proxy = services['reverse-proxy'];
    expect(envOf(proxy)).toMatchObject({
      TRAEFIK_ENTRYPOINTS_WEB_HTTP_REDIRECTIONS_ENTRYPOINT_TO: 'websecure',
      TRAEFIK_ENTRYPOINTS_WEB_HTTP_REDIRECTIONS_ENTRYPOINT_SCHEME: 'https',
      TRAEFIK_ENTRYPOINTS_WEBSECURE_ADDRESS: ':443',
      TRAEFIK_CERTIFICATESRESOLVERS_LETSENCRYPT_ACME_TLSCHALLENGE: 'true',
      TRAEFIK_CERTIFICATESRESOLVERS_LETSENCRYPT_ACME_EMAIL: 'ops@example.org',
      TRAEFIK_CERTIFICATESRESOLVERS_LETSENCRYPT_ACME_STORAGE: '/letsencrypt/acme.json',
    });
    expect(volumesOf(proxy).some((v) => /^[\w-]*traefik-certs:\/letsencrypt$/.test(v))).toBe(true);
    expect(Object.keys(volumes)).toContain('traefik-certs');
    expect(portsOf(proxy).sort()).toEqual(['443:443', '80:80']);
    for (const router of ['mlflow', 'signup']) {
      const labels = labelsOf(services[router]);
      expect(labels[`traefik.http.routers.${router}.entrypoints`]).toBe('websecure');
      expect(labels[`traefik.http.routers.${router}.tls.certresolver`]).toBe('letsencrypt');
    }
  }, T);

  it('runs MLflow with basic-auth from deploy/mlflow, with the admin credentials signup uses', async () => {
    const { services } = await render('production');
    const mlflow = services.mlflow;
    expect(path.resolve(repoRoot, mlflow.build.context)).toBe(path.join(deployDir, 'mlflow'));
    expect(String(mlflow.build.args.MLFLOW_VERSION)).toBe('3.18.0');
    const env = envOf(mlflow);
    const signupEnv = envOf(services.signup);
    expect(env.MLFLOW_USERNAME).toBe(signupEnv.MLFLOW_USERNAME);
    expect(env.MLFLOW_PASSWORD).toBe(signupEnv.MLFLOW_PASSWORD);
    expect(env).toMatchObject({ DATABASE_HOST: 'database', MLFLOW_DEFAULT_PERMISSION: 'NO_PERMISSIONS', MLFLOW_ARTIFACTS_DESTINATION: '/mlflow/artifacts' });
    expect(JSON.stringify(mlflow.healthcheck.test)).toContain('/health');
    expect(volumesOf(mlflow).some((v) => /mlflow-artifacts:\/mlflow\/artifacts$/.test(v))).toBe(true);
    // The image's entrypoint is deploy/mlflow/entrypoint.sh, which runs the basic-auth app.
    const dockerfile = readFileSync(path.join(deployDir, 'mlflow', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG MLFLOW_VERSION=3\.18\.0$/m);
    expect(dockerfile).toMatch(/pip install "mlflow\[auth\]==\$\{MLFLOW_VERSION\}" "psycopg2-binary/);
    expect(dockerfile).toMatch(/^COPY .*entrypoint\.sh \/usr\/local\/bin\/mlflow-entrypoint\.sh$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/local\/bin\/mlflow-entrypoint\.sh"\]$/m);
    expect(dockerfile).toMatch(/^USER mlflow$/m);
    expect(dockerfile).toMatch(/^FROM \$\{PYTHON_IMAGE\}$/m);
    expect(dockerfile).toMatch(/^ARG PYTHON_IMAGE=python:3\.\d+-slim/m);
    const entrypoint = readFileSync(scripts.mlflowEntrypoint, 'utf8');
    expect(entrypoint).toMatch(/server \\\n\s+--app-name basic-auth/);
    expect(entrypoint).toMatch(/db upgrade "\$BACKEND_STORE_URI"/);
  }, T);

  it('passes the BFF its configuration, MLflow inside the network and sessions in PostgreSQL', async () => {
    const { services } = await render('production');
    const env = envOf(services.signup);
    expect(env).toMatchObject({
      NODE_ENV: 'production',
      MLFLOW_HOSTNAME: 'http://mlflow:5000',
      TRUST_PROXY: '1',
      BASE_PATH: '/signup',
      DOMAIN: 'mlflow.example.org',
      SESSION_DATABASE_URL: 'postgresql://signup:signup-password-0123@database:5432/signup',
    });
    const notPassed = BFF_VARIABLES.filter((v) => !(v in env));
    expect(notPassed).toEqual([]);
    const expectedFromEnvFile = BFF_VARIABLES.filter((v) => !SET_BY_COMPOSE.includes(v));
    const full = fullEnv();
    for (const v of expectedFromEnvFile) if (full[v] !== undefined) expect({ v, value: env[v] }).toEqual({ v, value: full[v] });
    expect(path.resolve(repoRoot, services.signup.build.context)).toBe(repoRoot);
    expect(JSON.stringify(services.signup.healthcheck.test)).toContain('/readyz');
    expect(services.signup.container_name).toBeUndefined(); // so that --scale signup=N works
  }, T);

  it('has PostgreSQL 16 with a health check and the init script, and backups of it', async () => {
    const { services, volumes } = await render('production');
    const db = services.database;
    expect(db.image).toBe('postgres:16');
    expect(JSON.stringify(db.healthcheck.test)).toContain('pg_isready');
    expect(volumesOf(db)).toEqual(
      expect.arrayContaining([expect.stringMatching(/database-data:\/var\/lib\/postgresql\/data$/), `${path.join(deployDir, 'database', 'init')}:/docker-entrypoint-initdb.d:ro`]),
    );
    expect(envOf(db)).toMatchObject({ MLFLOW_DB_NAME: 'mlflow', MLFLOW_AUTH_DB_NAME: 'mlflow_auth', SIGNUP_DB_NAME: 'signup', POSTGRES_PASSWORD: 'superuser-password' });
    const backup = services.backup_db;
    expect(path.resolve(repoRoot, backup.build.context, backup.build.dockerfile)).toBe(path.join(deployDir, 'backup', 'Dockerfile'));
    expect(envOf(backup)).toMatchObject({ PGHOST: 'database', BACKUP_DIR: '/backups', BACKUP_RETENTION_DAYS: '7' });
    expect(volumesOf(backup).some((v) => /backups:\/backups$/.test(v))).toBe(true);
    // pg_dump must not be older than the server: the backup image is the database image.
    expect(readFileSync(path.join(deployDir, 'backup', 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^ARG POSTGRES_IMAGE=${db.image}$`, 'm'));
    for (const dependent of ['mlflow', 'signup', 'backup_db']) expect(services[dependent].depends_on.database.condition).toBe('service_healthy');
    expect(Object.keys(volumes).sort()).toEqual(['backups', 'database-data', 'mlflow-artifacts', 'traefik-certs']);
    for (const [name, service] of Object.entries<any>(services)) expect({ name, restart: service.restart }).toEqual({ name, restart: 'unless-stopped' });
  }, T);

  it('develops signup with hot reload from the checkout and publishes ports locally', async () => {
    const { services } = await render('development');
    const signup = services.signup;
    expect(signup.build.target).toBe('dev');
    expect(volumesOf(signup)).toContain(`${repoRoot}:/repo`);
    expect(JSON.stringify(signup.command)).toContain('pnpm --filter ./server dev');
    expect(envOf(signup).NODE_ENV).toBe('development');
    expect(portsOf(signup)).toEqual(['127.0.0.1:3000:3000']);
    expect(portsOf(services.mlflow)).toEqual(['127.0.0.1:5000:5000']);
    expect(portsOf(services.database)).toEqual(['127.0.0.1:5432:5432']);
  }, T);

  it('when the service has its own host, then Traefik routes all of SIGNUP_HOST to it with its own certificate, and /signup on DOMAIN redirects', async () => {
    const { services } = await render('production-signup-host');
    const signup = labelsOf(services.signup);
    expect(signup).toMatchObject({
      'traefik.http.routers.signup.rule': 'Host(`account.example.org`)',
      // From compose.prod.yml: HTTPS only, a Let's Encrypt certificate for the router's host.
      'traefik.http.routers.signup.entrypoints': 'websecure',
      'traefik.http.routers.signup.tls.certresolver': 'letsencrypt',
      'traefik.http.routers.signup-moved.rule': 'Host(`mlflow.example.org`) && PathPrefix(`/signup`)',
      'traefik.http.routers.signup-moved.service': 'noop@internal',
      'traefik.http.middlewares.signup-moved.redirectregex.replacement': '${1}://account.example.org${2}/${3}',
      'traefik.http.middlewares.signup-moved.redirectregex.permanent': 'false',
    });
    expect(labelsOf(services.mlflow)['traefik.http.routers.mlflow.rule']).toBe('Host(`mlflow.example.org`) && !PathPrefix(`/signup`)');
    // The health check asks the root's /readyz, which the BFF serves whatever BASE_PATH is.
    expect(JSON.stringify(services.signup.healthcheck.test)).toContain(`+ '/readyz')`);
    expect(JSON.stringify(services.signup.healthcheck.test)).not.toContain('BASE_PATH');
    // Everything else is the production stack.
    const production = await render('production');
    expect(Object.keys(services).sort()).toEqual(Object.keys(production.services).sort());
    expect(services['reverse-proxy']).toEqual(production.services['reverse-proxy']);
  }, T);

  it.each([
    ['production-signup-host', {}, 'https'],
    ['development-signup-host', { PUBLIC_SCHEME: 'http' }, 'http'],
  ])('when the service has its own host (%s), then the BFF is configured for the root of SIGNUP_HOST', async (combination, extra, scheme) => {
    const r = await composeConfig(combinations[combination]!, { ...fullEnv(), ...extra, OIDC_REDIRECT_URI: 'https://mlflow.example.org/signup/auth/callback' });
    expect(r.status).toBe(0);
    expect(envOf(r.config.services.signup)).toMatchObject({
      BASE_PATH: '/',
      // Whatever .env says (here: a callback left over from the same-origin layout).
      OIDC_REDIRECT_URI: `${scheme}://account.example.org/auth/callback`,
      MLFLOW_PUBLIC_URL: `${scheme}://mlflow.example.org`,
      DOMAIN: 'mlflow.example.org',
    });
  }, T);

  it('when rendered in any layout, then nothing gives a cookie a domain (the BFF’s cookies stay host-only)', async () => {
    // The BFF has no setting for it at all, and compose passes nothing of the kind to any service.
    expect(CONFIG_VARIABLES.filter((v) => /COOKIE/i.test(v))).toEqual([]);
    for (const combination of Object.keys(combinations)) {
      const { services } = await render(combination);
      for (const [name, service] of Object.entries<any>(services)) {
        const cookieSettings = [...Object.entries(envOf(service)), ...Object.entries(labelsOf(service))].filter(([k]) => /cookie/i.test(k));
        expect({ combination, name, cookieSettings }).toEqual({ combination, name, cookieSettings: [] });
      }
    }
  }, T);
});

/**
 * The BFF's own session and CSRF middleware, configured by its own loadConfig from the environment a layout
 * renders for the signup container, and asked the way Traefik forwards requests (TRUST_PROXY=1).
 */
describe('the BFF as each layout configures it', () => {
  async function ask(
    combination: string,
    method: 'GET' | 'POST',
    host: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; setCookie: string[]; body: any }> {
    const loaded = loadConfig(envOf((await render(combination)).services.signup));
    if (!loaded.ok) throw new Error(`${combination}: ${loaded.errors.join('\n')}`);
    const { config } = loaded;
    const sessions = createSessionStore({ databaseUrl: undefined });
    const csrf = createCsrf(config.allowedOrigins);
    const app = express();
    app.set('trust proxy', config.trustProxy);
    app.use(sessionMiddleware(config, sessions.store));
    // Under BASE_PATH, as the BFF's routes are: express-session leaves requests outside the cookie's path alone.
    app.get(`${config.basePath}/sign-in`, (req, res) => {
      (req.session as unknown as Record<string, unknown>).signedIn = true;
      res.json({ allowedOrigins: config.allowedOrigins, basePath: config.basePath });
    });
    app.post(`${config.basePath}/change`, csrf.protect, (_req, res) => res.json({ changed: true }));
    const onError: ErrorRequestHandler = (err, _req, res, _next) => res.status(err.status ?? 500).json({ message: err.message });
    app.use(onError);
    const server = http.createServer(app);
    const port = await listen(server);
    try {
      return await new Promise((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, method, path: `${config.basePath}${method === 'GET' ? '/sign-in' : '/change'}`, headers: { host, 'x-forwarded-proto': 'https', ...headers } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sessions.close();
    }
  }

  const sessionCookie = (setCookie: string[]) => {
    const cookie = setCookie.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(cookie).toBeDefined();
    return cookie!.split(';').slice(1).map((a) => a.trim().split('=')[0]!.toLowerCase());
  };

  it.each([
    ['production', '/signup', 'mlflow.example.org'],
    ['production-signup-host', '/', 'account.example.org'],
  ])('when the layout is %s, then the session cookie is host-only (no Domain), on Path=%s and Secure', async (combination, cookiePath, host) => {
    const r = await ask(combination, 'GET', host);
    expect(r.status).toBe(200);
    const attributes = sessionCookie(r.setCookie);
    expect(attributes).not.toContain('domain');
    expect(attributes).toEqual(expect.arrayContaining(['path', 'httponly', 'secure', 'samesite']));
    const cookie = r.setCookie.find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie).toContain(`; Path=${cookiePath}; `);
  }, T);

  it('when the service has its own host, then the Origin check accepts that host only, not the MLflow host', async () => {
    expect((await ask('production-signup-host', 'GET', 'account.example.org')).body.allowedOrigins).toEqual(['https://account.example.org']);
    const fromMlflow = await ask('production-signup-host', 'POST', 'account.example.org', { origin: 'https://mlflow.example.org' });
    expect(fromMlflow).toMatchObject({ status: 403, body: { message: expect.stringContaining('it came from another site') } });
    // Its own origin passes the Origin check (and then needs the CSRF token like every state change).
    const own = await ask('production-signup-host', 'POST', 'account.example.org', { origin: 'https://account.example.org' });
    expect(own).toMatchObject({ status: 403, body: { message: expect.stringContaining('CSRF token is missing') } });
    // In the same-origin layout the MLflow host IS the service's origin: the check cannot tell them apart.
    const sameOrigin = await ask('production', 'POST', 'mlflow.example.org', { origin: 'https://mlflow.example.org' });
    expect(sameOrigin.body.message).toContain('CSRF token is missing');
  }, T);
});

describe('images and scripts', () => {
  const dockerfiles = [path.join(repoRoot, 'Dockerfile'), path.join(deployDir, 'mlflow', 'Dockerfile'), path.join(deployDir, 'backup', 'Dockerfile')];

  it('bake no secret into an image', async () => {
    for (const file of dockerfiles) {
      const offending = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => /^\s*(ARG|ENV)\b/.test(l) && /PASSWORD|SECRET|TOKEN|_KEY\b/i.test(l));
      expect({ file: path.relative(repoRoot, file), offending }).toEqual({ file: path.relative(repoRoot, file), offending: [] });
    }
    for (const combination of Object.keys(combinations)) {
      const { services } = await render(combination);
      for (const service of Object.values<any>(services)) expect(Object.keys(service.build?.args ?? {}).filter((a) => !/^MLFLOW_VERSION$/.test(a))).toEqual([]);
    }
    const ignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '.env', '.env.*', '.git']));
  }, T);

  it('builds signup with the pinned pnpm and starts it like CI (node server/dist/main.js as `node`)', () => {
    const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const serverPkg = JSON.parse(readFileSync(path.join(repoRoot, 'server', 'package.json'), 'utf8'));
    expect(pkg.packageManager).toMatch(/^pnpm@\d+\.\d+\.\d+/);
    expect(dockerfile).toContain(`require('./package.json').packageManager`);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-(bookworm-)?slim$/m);
    expect(dockerfile).toContain('pnpm install --frozen-lockfile');
    expect(dockerfile).toMatch(/pnpm build/);
    expect(dockerfile).toMatch(/pnpm --filter \.\/server deploy --prod/);
    expect(serverPkg.scripts.start).toBe('node dist/main.js');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^CMD \["node", "server\/dist\/main\.js"\]$/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
    expect(runtime).toMatch(/COPY --from=build \/repo\/client\/dist client\/dist/);
  });

  it('ships executable, syntactically valid scripts (POSIX sh for the MLflow entrypoint)', () => {
    for (const file of Object.values(scripts)) {
      expect({ file, executable: (statSync(file).mode & 0o111) === 0o111 }).toEqual({ file, executable: true });
      const shell = readFileSync(file, 'utf8').startsWith('#!/bin/sh') ? 'sh' : 'bash';
      execFileSync(shell, ['-n', file]);
    }
    expect(readFileSync(scripts.mlflowEntrypoint, 'utf8')).toMatch(/^#!\/bin\/sh\n/);
    // dash is Debian's /bin/sh, the shell of the python:*-slim image.
    if (existsSync('/bin/dash')) execFileSync('/bin/dash', ['-n', scripts.mlflowEntrypoint]);
  });
});
