/**
 * The reverse proxy as compose configures it, for real: the pinned Traefik binary gets the TRAEFIK_*
 * environment of the rendered `reverse-proxy` service and, through its docker provider, containers with
 * the rendered labels of `mlflow` and `signup` (from a fake Docker API, see traefik.ts). Stand-ins for
 * MLflow (127.0.0.11:5000) and two signup replicas (127.0.0.12/13:3000) echo what reaches them.
 * Only listening addresses are changed, and the ACME server is pointed at a closed local port (no request
 * ever leaves the machine; the certificate is then Traefik's default one).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { envOf, labelsOf, render } from './compose.js';
import { freePort } from '../support/ports.js';
import {
  ensureTraefik,
  startEchoBackend,
  startFakeDocker,
  startTraefik,
  type BackendRequest,
  type FakeContainer,
  type RunningTraefik,
} from './traefik.js';

const T = 120_000; // tests/jest.config.js's testTimeout is ignored inside `projects`
const DOMAIN = 'mlflow.example.org'; // the DOMAIN of compose.ts's fullEnv()
const SIGNUP_HOST = 'account.example.org'; // its SIGNUP_HOST (read by compose.signup-host.yml only)
const MLFLOW_IP = '127.0.0.11';
const SIGNUP_IPS = ['127.0.0.12', '127.0.0.13'];

let traefikBin: string;
let tmp: string;
const backends: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  traefikBin = await ensureTraefik();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'traefik-routing-'));
  // Ports as in the rendered labels (mlflow 5000, signup PORT=3000), on their own loopback addresses.
  backends.push(await startEchoBackend('mlflow', MLFLOW_IP, 5000));
  for (const ip of SIGNUP_IPS) backends.push(await startEchoBackend(`signup@${ip}`, ip, 3000));
}, 300_000);

afterAll(async () => {
  for (const b of backends) await b.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Proxy {
  traefik: RunningTraefik;
  web: number;
  websecure: number;
  ping: number;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Traefik configured from a rendered combination, with signup replicas in the given health states. */
async function startProxy(
  combination: string,
  signupHealth: FakeContainer['health'][] = ['healthy', 'healthy'],
  extraEnv: Record<string, string> = {},
): Promise<Proxy> {
  const { services } = await render(combination);
  const containers: FakeContainer[] = [
    { service: 'mlflow', ip: MLFLOW_IP, labels: labelsOf(services.mlflow), health: 'healthy' },
    ...SIGNUP_IPS.map((ip, i) => ({ service: 'signup', ip, labels: labelsOf(services.signup), health: signupHealth[i] })),
    // Containers without traefik.enable must not be routed (exposedByDefault=false).
    { service: 'database', ip: '127.0.0.14', labels: labelsOf(services.database), health: 'healthy' },
  ];
  const docker = await startFakeDocker(containers);
  const [web, websecure, ping] = [await freePort(), await freePort(), await freePort()];
  const env: Record<string, string> = { ...envOf(services['reverse-proxy']) };
  env.TRAEFIK_ENTRYPOINTS_WEB_ADDRESS = `127.0.0.1:${web}`;
  if (env.TRAEFIK_ENTRYPOINTS_WEBSECURE_ADDRESS) env.TRAEFIK_ENTRYPOINTS_WEBSECURE_ADDRESS = `127.0.0.1:${websecure}`;
  env.TRAEFIK_ENTRYPOINTS_TRAEFIK_ADDRESS = `127.0.0.1:${ping}`; // where --ping answers (default :8080)
  env.TRAEFIK_PROVIDERS_DOCKER_ENDPOINT = docker.endpoint;
  if (env.TRAEFIK_CERTIFICATESRESOLVERS_LETSENCRYPT_ACME_STORAGE) {
    env.TRAEFIK_CERTIFICATESRESOLVERS_LETSENCRYPT_ACME_STORAGE = path.join(tmp, `acme-${ping}.json`);
    env.TRAEFIK_CERTIFICATESRESOLVERS_LETSENCRYPT_ACME_CASERVER = 'https://127.0.0.1:1/directory';
  }
  Object.assign(env, extraEnv);
  const traefik = await startTraefik(traefikBin, env, `http://127.0.0.1:${ping}/ping`);
  // Wait until the docker provider has delivered the routers (on HTTPS in production: HTTP only redirects).
  const secure = Boolean(env.TRAEFIK_ENTRYPOINTS_WEBSECURE_ADDRESS);
  for (let i = 0; i < 100; i++) {
    const r = await request(secure ? 'https' : 'http', secure ? websecure : web, 'GET', '/');
    if (r.status !== 404) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return {
    traefik,
    web,
    websecure,
    ping,
    env,
    async stop() {
      await traefik.stop();
      await docker.close();
    },
  };
}

interface ProxyResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  echo?: BackendRequest;
  text: string;
}

function request(scheme: 'http' | 'https', port: number, method: string, urlPath: string, options: { host?: string; body?: Buffer } = {}): Promise<ProxyResponse> {
  const host = options.host ?? DOMAIN;
  const lib = scheme === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers: { host, ...(options.body ? { 'content-length': String(options.body.length) } : {}) },
        ...(scheme === 'https' ? { servername: host, rejectUnauthorized: false } : {}),
        agent: false,
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let echo: BackendRequest | undefined;
          try {
            echo = JSON.parse(text) as BackendRequest;
          } catch {
            echo = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, echo, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

describe('base (plain HTTP)', () => {
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startProxy('base');
  }, T);
  afterAll(async () => {
    await proxy?.stop();
  });

  it('routes /signup to signup and everything else to MLflow, paths unchanged', async () => {
    for (const p of ['/', '/api/2.0/mlflow/experiments/search', '/ajax-api/2.0/mlflow/users/current', '/static-files/x.js']) {
      const r = await request('http', proxy.web, 'GET', p);
      expect({ p, status: r.status, service: r.echo?.service, path: r.echo?.path }).toEqual({ p, status: 200, service: 'mlflow', path: p });
    }
    for (const p of ['/signup', '/signup/', '/signup/api/me', '/signup/auth/callback?code=x&state=y']) {
      const r = await request('http', proxy.web, 'GET', p);
      expect({ p, status: r.status, service: r.echo?.service.split('@')[0], path: r.echo?.path }).toEqual({ p, status: 200, service: 'signup', path: p });
    }
  }, T);

  it('answers only for DOMAIN', async () => {
    expect((await request('http', proxy.web, 'GET', '/', { host: 'other.example.org' })).status).toBe(404);
    expect((await request('http', proxy.web, 'GET', '/signup/', { host: 'other.example.org' })).status).toBe(404);
  }, T);

  it('passes the Host and X-Forwarded-* headers that MLflow and the BFF (TRUST_PROXY=1) rely on', async () => {
    const r = await request('http', proxy.web, 'GET', '/signup/api/me');
    expect(r.echo).toMatchObject({ host: DOMAIN, forwardedProto: 'http', forwardedFor: '127.0.0.1' });
    expect((await request('http', proxy.web, 'GET', '/')).echo?.host).toBe(DOMAIN);
  }, T);

  it('balances between signup replicas (--scale signup=N)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add((await request('http', proxy.web, 'GET', '/signup/')).echo!.service);
    expect([...seen].sort()).toEqual(SIGNUP_IPS.map((ip) => `signup@${ip}`));
  }, T);

  it('forwards a large artifact upload whole (no body limit)', async () => {
    const body = Buffer.alloc(24 * 1024 * 1024, 7);
    const r = await request('http', proxy.web, 'PUT', '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.bin', { body });
    expect(r.status).toBe(200);
    expect(r.echo).toMatchObject({ service: 'mlflow', method: 'PUT', bodyBytes: body.length });
  }, T);

  it('writes an access log and answers the health check compose runs', async () => {
    await request('http', proxy.web, 'GET', '/signup/access-log-probe');
    const logged = /"GET \/signup\/access-log-probe HTTP\/1\.1" 200 /;
    for (let i = 0; i < 50 && !logged.test(proxy.traefik.logs()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(proxy.traefik.logs()).toMatch(logged);
    const { services } = await render('base');
    const [kind, command, ...args] = services['reverse-proxy'].healthcheck.test as string[];
    expect([kind, command]).toEqual(['CMD', 'traefik']);
    const result = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile(traefikBin, args, { env: { PATH: process.env.PATH ?? '', ...proxy.env }, timeout: 20_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      ),
    );
    expect(result).toMatchObject({ code: 0 });
  }, T);
});

describe('signup health', () => {
  it('sends /signup nowhere (404), and never to MLflow, while no signup replica is healthy', async () => {
    const proxy = await startProxy('base', ['unhealthy', 'starting']);
    try {
      const r = await request('http', proxy.web, 'GET', '/signup/');
      expect(r.status).toBe(404);
      expect(r.echo).toBeUndefined();
      expect((await request('http', proxy.web, 'GET', '/')).echo?.service).toBe('mlflow');
    } finally {
      await proxy.stop();
    }
  }, T);

  it('sends everything to the healthy replica when one is unhealthy', async () => {
    const proxy = await startProxy('base', ['unhealthy', 'healthy']);
    try {
      for (let i = 0; i < 4; i++) expect((await request('http', proxy.web, 'GET', '/signup/')).echo?.service).toBe(`signup@${SIGNUP_IPS[1]}`);
    } finally {
      await proxy.stop();
    }
  }, T);
});

describe('production (HTTPS)', () => {
  let proxy: Proxy;
  beforeAll(async () => {
    // DEBUG: Traefik then logs the static configuration it understood from the TRAEFIK_* variables.
    proxy = await startProxy('production', ['healthy', 'healthy'], { TRAEFIK_LOG_LEVEL: 'DEBUG' });
  }, T);

  it('understands every TRAEFIK_* variable compose sets (static configuration as loaded)', () => {
    // eslint-disable-next-line no-control-regex
    const line = proxy.traefik.logs().replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => l.includes('Static configuration loaded'));
    expect(line).toBeDefined();
    const loaded = JSON.parse(line!.slice(line!.indexOf('staticConfiguration=') + 'staticConfiguration='.length));
    for (const ep of ['web', 'websecure']) {
      expect(loaded.entryPoints[ep].transport.respondingTimeouts).toMatchObject({ readTimeout: '1h0m0s', writeTimeout: '1h0m0s', idleTimeout: '3m0s' });
    }
    expect(loaded.entryPoints.web.http.redirections.entryPoint).toMatchObject({ to: 'websecure', scheme: 'https', permanent: true });
    expect(loaded.entryPoints.websecure.http.tls).toMatchObject({ certResolver: 'letsencrypt' });
    expect(loaded.certificatesResolvers.letsencrypt.acme).toMatchObject({ email: 'ops@example.org', tlsChallenge: {} });
    expect(loaded.serversTransport.forwardingTimeouts.idleConnTimeout).toBe('4s');
    expect(loaded.accessLog).toBeDefined();
    expect(loaded.ping).toBeDefined();
    expect(loaded.providers.docker.exposedByDefault ?? false).toBe(false);
    expect(loaded.global?.checkNewVersion ?? false).toBe(false);
    expect(loaded.global?.sendAnonymousUsage ?? false).toBe(false);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('redirects HTTP to HTTPS permanently, keeping host and path', async () => {
    for (const p of ['/', '/signup/account?x=1']) {
      const r = await request('http', proxy.web, 'GET', p);
      expect([301, 308]).toContain(r.status);
      expect(r.headers.location).toBe(`https://${DOMAIN}:${proxy.websecure}${p}`);
    }
  }, T);

  it('routes over HTTPS, MLflow with HSTS', async () => {
    const mlflow = await request('https', proxy.websecure, 'GET', '/api/2.0/mlflow/experiments/search');
    expect(mlflow.echo).toMatchObject({ service: 'mlflow', forwardedProto: 'https', host: DOMAIN });
    expect(mlflow.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const signup = await request('https', proxy.websecure, 'GET', '/signup/api/config');
    expect(signup.echo?.service).toMatch(/^signup@/);
    expect(signup.echo).toMatchObject({ path: '/signup/api/config', forwardedProto: 'https' });
    // A large upload over TLS too.
    const body = Buffer.alloc(8 * 1024 * 1024, 1);
    expect((await request('https', proxy.websecure, 'POST', '/api/2.0/mlflow-artifacts/artifacts/x', { body })).echo?.bodyBytes).toBe(body.length);
  }, T);

  it('asks the Let’s Encrypt resolver for DOMAIN’s certificate (TLS-ALPN challenge)', async () => {
    // The ACME server is unreachable here on purpose: Traefik must have tried to obtain a certificate for
    // DOMAIN through the `letsencrypt` resolver, which the routers reference.
    const deadline = Date.now() + 20_000;
    while (!/letsencrypt/i.test(proxy.traefik.logs()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(proxy.traefik.logs()).toMatch(/letsencrypt/i);
    expect(proxy.traefik.logs()).not.toMatch(/non-existent resolver/i);
  }, T);
});

describe('development', () => {
  it('routes like production over HTTP and serves the dashboard API on the traefik entry point', async () => {
    const proxy = await startProxy('development');
    try {
      expect((await request('http', proxy.web, 'GET', '/signup/')).echo?.service).toMatch(/^signup@/);
      expect((await request('http', proxy.web, 'GET', '/')).echo?.service).toBe('mlflow');
      const routers = await request('http', proxy.ping, 'GET', '/api/http/routers', { host: 'localhost' });
      expect(routers.status).toBe(200);
      expect(routers.text).toContain('signup@docker');
    } finally {
      await proxy.stop();
    }
  }, T);
});

/**
 * compose.signup-host.yml: signup on an origin of its own, so that a script injected into an MLflow page
 * cannot act in it. The MLflow host keeps serving MLflow; its old /signup links redirect to SIGNUP_HOST.
 */
describe('signup on its own host, production (HTTPS)', () => {
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startProxy('production-signup-host', ['healthy', 'healthy'], { TRAEFIK_LOG_LEVEL: 'DEBUG' });
  }, T);
  afterAll(async () => {
    await proxy?.stop();
  });

  it('when a request is for SIGNUP_HOST, then signup gets it at the root, path and host unchanged', async () => {
    for (const p of ['/', '/auth/callback?code=x&state=y', '/api/me', '/api/2.0/mlflow/experiments/search']) {
      const r = await request('https', proxy.websecure, 'GET', p, { host: SIGNUP_HOST });
      expect({ p, status: r.status, service: r.echo?.service.split('@')[0], path: r.echo?.path, host: r.echo?.host, proto: r.echo?.forwardedProto }).toEqual({
        p,
        status: 200,
        service: 'signup',
        path: p,
        host: SIGNUP_HOST,
        proto: 'https',
      });
    }
    const post = await request('https', proxy.websecure, 'POST', '/api/account/password', { host: SIGNUP_HOST, body: Buffer.from('{}') });
    expect(post.echo).toMatchObject({ method: 'POST', path: '/api/account/password', bodyBytes: 2 });
  }, T);

  it('when a request is for DOMAIN, then MLflow gets everything but /signup', async () => {
    for (const p of ['/', '/api/2.0/mlflow/experiments/search', '/ajax-api/2.0/mlflow/users/current']) {
      const r = await request('https', proxy.websecure, 'GET', p);
      expect({ p, status: r.status, service: r.echo?.service, host: r.echo?.host }).toEqual({ p, status: 200, service: 'mlflow', host: DOMAIN });
    }
    expect((await request('https', proxy.websecure, 'GET', '/')).headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  }, T);

  it('when an old link asks DOMAIN for /signup…, then it is redirected (temporarily) to the same page on SIGNUP_HOST', async () => {
    const moved: [string, string][] = [
      ['/signup', '/'],
      ['/signup/', '/'],
      ['/signup/account?tab=password', '/account?tab=password'],
      ['/signup/auth/callback?code=x&state=y', '/auth/callback?code=x&state=y'],
    ];
    for (const [from, to] of moved) {
      const r = await request('https', proxy.websecure, 'GET', from);
      expect({ from, status: r.status, location: r.headers.location, reached: r.echo?.service }).toEqual({
        from,
        status: 302,
        location: `https://${SIGNUP_HOST}${to}`,
        reached: undefined,
      });
    }
    // A port in the address is kept: both hosts are on the same entry points.
    expect((await request('https', proxy.websecure, 'GET', '/signup/x', { host: `${DOMAIN}:8443` })).headers.location).toBe(`https://${SIGNUP_HOST}:8443/x`);
    // A state-changing request is not turned into a GET on the way (307), nor answered by MLflow.
    const post = await request('https', proxy.websecure, 'POST', '/signup/api/account/password', { body: Buffer.from('{}') });
    expect({ status: post.status, location: post.headers.location, reached: post.echo?.service }).toEqual({
      status: 307,
      location: `https://${SIGNUP_HOST}/api/account/password`,
      reached: undefined,
    });
  }, T);

  it('when a request is plain HTTP, then it is redirected to HTTPS on either host, keeping host and path', async () => {
    for (const [host, p] of [
      [SIGNUP_HOST, '/auth/callback?code=x'],
      [DOMAIN, '/signup/api/me'],
    ] as const) {
      const r = await request('http', proxy.web, 'GET', p, { host });
      expect({ status: r.status, location: r.headers.location }).toEqual({ status: 301, location: `https://${host}:${proxy.websecure}${p}` });
    }
  }, T);

  it('when the hosts are neither DOMAIN nor SIGNUP_HOST, then nothing answers', async () => {
    for (const p of ['/', '/signup/', '/api/me']) expect((await request('https', proxy.websecure, 'GET', p, { host: 'other.example.org' })).status).toBe(404);
  }, T);

  it('when SIGNUP_HOST is served, then Traefik asks the Let’s Encrypt resolver for a certificate of its own', async () => {
    // As for DOMAIN, the ACME server is unreachable here: Traefik's attempt is what can be seen (DEBUG log),
    // one certificate for SIGNUP_HOST alone, asked for by the signup router.
    const asked = `Domains need ACME certificates generation for domains "${SIGNUP_HOST}"`;
    const deadline = Date.now() + 20_000;
    while (!proxy.traefik.logs().includes(asked) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(proxy.traefik.logs()).toContain(asked);
    expect(proxy.traefik.logs()).not.toMatch(/non-existent resolver|doesn't exist|no valid entryPoint/i);
  }, T);
});

describe('signup on its own host, development (HTTP)', () => {
  it('when SIGNUP_HOST is asked, then signup answers at the root; DOMAIN keeps MLflow and redirects /signup over HTTP', async () => {
    const proxy = await startProxy('development-signup-host');
    try {
      for (const p of ['/', '/auth/callback?code=x&state=y', '/api/me']) {
        const r = await request('http', proxy.web, 'GET', p, { host: SIGNUP_HOST });
        expect({ p, service: r.echo?.service.split('@')[0], path: r.echo?.path }).toEqual({ p, service: 'signup', path: p });
      }
      expect((await request('http', proxy.web, 'GET', '/')).echo?.service).toBe('mlflow');
      const r = await request('http', proxy.web, 'GET', '/signup/api/me');
      expect({ status: r.status, location: r.headers.location }).toEqual({ status: 302, location: `http://${SIGNUP_HOST}/api/me` });
    } finally {
      await proxy.stop();
    }
  }, T);
});
