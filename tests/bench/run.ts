/**
 * `pnpm bench` (scripts/bench.sh builds first, then runs this): the numbers the service is held to, from
 * one run against the real services on 127.0.0.1 — MLflow 3.18.0, the test OpenID provider, the PAPI
 * double — with the BFF as production runs it: a separate `node server/dist/main.js` process configured
 * by its environment, behind a counting proxy to MLflow (support/mlflow-call-counter.ts).
 *
 * Measured:
 * - latency: one direct authenticated MLflow call vs `GET /signup/api/me` of a signed-in, registered
 *   person with Vault enabled (p50/p99, sequential, after warm-up);
 * - MLflow calls per action: `GET /api/me`, register, change password, listing 1,000 experiments the
 *   person holds a grant on (created directly in MLflow as that person, so MLflow grants them MANAGE),
 *   and one sharing change; a sign-in (its group sync, which runs after the redirect) with 0, 5 and 50
 *   shared groups, the first after the groups were shared (joining each) and the next (in step);
 * - the BFF's resident memory: idle after start, after 10,000 signed-in sessions (in-memory store), and
 *   after 50,000 anonymous cookieless `GET /signup/auth/login`, with a sample of the signed-in sessions
 *   checked before and after; once with the production image's runtime settings (the Dockerfile's
 *   NODE_OPTIONS / MALLOC_ARENA_MAX) and once with plain `node`, each in a fresh process;
 * - the SPA's first-load JavaScript, in bytes on the wire as the BFF serves it to a Brotli-capable browser.
 *
 * Sessions are real sign-ins through the provider: each of `--people` generated accounts signs in once
 * with the login form, then the rest sign in again with their provider session (single sign-on, as a
 * person opening a new browser profile would), which is three HTTP requests per BFF session.
 *
 * Targets are reported (PASS/FAIL), not asserted: the exit code is non-zero only when a measurement
 * could not be made. Options: `--quick` (smaller counts), `--calls=N`, `--experiments=N`,
 * `--sessions=N`, `--anonymous=N`, `--people=N`, `--samples=N`, `--profiles=image,plain`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { firstLoadScripts } from '../../client/scripts/bundle-size.mjs';
import { BrowserAgent } from '../support/browser-agent.js';
import { startMlflowCallCounter, type MlflowCallCounter, type ProxiedCall } from '../support/mlflow-call-counter.js';
import { basicAuth, startMlflow, type MlflowServer } from '../support/mlflow.js';
import { repoRoot } from '../support/mlflow-venv.js';
import {
  accounts,
  REQUIRED_REALM_ROLES_FOR_TESTS,
  startOidcProvider,
  type OidcServer,
  type TestAccount,
} from '../support/oidc-provider.js';
import { startPapiDouble, type PapiDouble } from '../support/papi-double.js';
import { freePort } from '../support/ports.js';
import {
  BffProcess,
  describeRuntime,
  idleBreakdown,
  imageRuntime,
  isRedirect,
  MB,
  MiniJar,
  percentile,
  pool,
  rawGet,
  sleep,
  timed,
  type GcProbe,
  type ImageRuntime,
  type Memory,
} from './lib.js';

/* ------------------------------------------------------------------------------------------------ */
/* Options                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

const argv = new Map(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const [k, v] = a.slice(2).split('=');
      return [k!, v ?? 'true'] as const;
    }),
);
const quick = argv.has('quick');
const num = (name: string, full: number, small: number) => {
  const n = Number(argv.get(name) ?? (quick ? small : full));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
  return n;
};
const N = {
  calls: Math.max(1, num('calls', 30, 10)),
  experiments: num('experiments', 1000, 50),
  sessions: num('sessions', 10_000, 1_000),
  anonymous: num('anonymous', 50_000, 5_000),
  people: Math.max(1, num('people', 100, 20)),
  samples: Math.max(1, num('samples', 50, 20)),
};
const profiles = (argv.get('profiles') ?? 'image,plain')
  .split(',')
  .filter((p): p is 'image' | 'plain' => p === 'image' || p === 'plain');

const TARGET = {
  ratio: 1.2,
  meCalls: 1,
  idleMb: 64,
  sessionsMb: 100,
  anonGrowthMb: 10,
  firstLoadKb: 50,
};

const VO = 'vo.ai4eosc.eu';
const CLIENT_ID = 'mlflow-signup-bench';
const BASE = '/signup';
const PASSWORD = 'bench-password-0001-abc';
const NEW_PASSWORD = 'bench-password-0002-xyz';
const CHROME_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';
/** No flood runs longer than this: the benchmark stays bounded in time whatever the machine. */
const FLOOD_DEADLINE_MS = 10 * 60_000;

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/* ------------------------------------------------------------------------------------------------ */
/* Results                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

type Mark = 'PASS' | 'FAIL' | '';
const mark = (ok: boolean | undefined): Mark => (ok === undefined ? '' : ok ? 'PASS' : 'FAIL');

interface CallCount {
  label: string;
  calls?: number;
  detail?: string;
  status?: string;
  target?: number;
  error?: string;
}

interface MemoryRun {
  profile: 'image' | 'plain';
  runtime: ImageRuntime;
  idle?: Memory;
  idleGc?: GcProbe;
  sessions?: number;
  sessionsSeconds?: number;
  afterSessions?: Memory;
  afterSessionsGc?: GcProbe;
  validBefore?: { ok: number; total: number; statuses: string };
  anonymous?: number;
  anonymousSeconds?: number;
  anonymousStatuses?: string;
  afterAnonymous?: Memory;
  afterAnonymousGc?: GcProbe;
  validAfter?: { ok: number; total: number; statuses: string };
  error?: string;
}

const results = {
  direct: undefined as number[] | undefined,
  me: undefined as number[] | undefined,
  latencyError: undefined as string | undefined,
  calls: [] as CallCount[],
  listing: undefined as { rows: number; coldMs: number; warmMs: number; warmCalls: number } | undefined,
  experimentsCreated: 0,
  experimentsSeconds: 0,
  firstLoad: undefined as
    { js: number; jsFiles: number; html: number; css: number; jsRaw: number; encodings: string } | undefined,
  firstLoadError: undefined as string | undefined,
  memory: [] as MemoryRun[],
  breakdown: undefined as Array<{ step: string; memory: Memory }> | undefined,
  errors: [] as string[],
};

/* ------------------------------------------------------------------------------------------------ */
/* The services                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

interface Services {
  mlflow: MlflowServer;
  counter: MlflowCallCounter;
  oidc: OidcServer;
  papi: PapiDouble;
  ports: { functional: number; image: number; plain: number };
  people: TestAccount[];
  secret: string;
  tmp: string;
}

function generatedPeople(n: number): TestAccount[] {
  return Array.from({ length: n }, (_, i) => {
    const login = `bench-${String(i + 1).padStart(5, '0')}`;
    return {
      login,
      password: `${login}-password-123`,
      sub: `${login}-sub`,
      email: `${login}@example.org`,
      email_verified: true,
      name: `Bench Person ${i + 1}`,
      realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access'] },
    };
  });
}

function bffEnv(s: Services, port: number): Record<string, string> {
  const origin = `http://127.0.0.1:${port}`;
  return {
    NODE_ENV: 'production',
    BASE_PATH: BASE,
    MLFLOW_HOSTNAME: s.counter.url,
    MLFLOW_USERNAME: s.mlflow.adminUsername,
    MLFLOW_PASSWORD: s.mlflow.adminPassword,
    MLFLOW_PUBLIC_URL: s.mlflow.url,
    OIDC_AUTHORITY: s.oidc.issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_SCOPE: 'openid email profile eduperson_entitlement offline_access',
    OIDC_REDIRECT_URI: `${origin}${BASE}/auth/callback`,
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    REQUIRED_REALM_ROLES: REQUIRED_REALM_ROLES_FOR_TESTS,
    USER_CREDENTIALS_SECRETS_API: s.papi.url,
    USER_CREDENTIALS_SECRETS_VO: VO,
    PRIVACY_POLICY_URL: 'https://example.org/privacy',
    TERMS_OF_USE_URL: 'https://example.org/terms',
    SESSION_SECRET: s.secret,
    SHAREABLE_GROUPS: 'realm_role:bench-group-*',
    // The registry of this run only (it names this run's provider as issuer): never the checkout's data/.
    DATA_DIR: path.join(s.tmp, 'data'),
  };
}

async function startServices(stops: Array<() => Promise<unknown>>): Promise<Services> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlflow-signup-bench-'));
  log(`starting MLflow (logs and the BFF logs in ${tmp})`);
  const mlflow = await startMlflow();
  stops.push(() => mlflow.destroy());
  const counter = await startMlflowCallCounter(mlflow.url);
  stops.push(() => counter.close());
  const ports = { functional: await freePort(), image: await freePort(), plain: await freePort() };
  const people = generatedPeople(N.people);
  const oidc = await startOidcProvider({
    clients: [
      {
        client_id: CLIENT_ID,
        redirect_uris: Object.values(ports).map((p) => `http://127.0.0.1:${p}${BASE}/auth/callback`),
      },
    ],
    accounts: [...Object.values(accounts), ...people],
  });
  stops.push(() => oidc.stop());
  const papi = await startPapiDouble({ issuer: oidc.issuer });
  stops.push(() => papi.stop());
  log(
    `MLflow ${mlflow.version} on ${mlflow.url} (ready in ${mlflow.startupMs} ms), provider ${oidc.issuer}, PAPI double ${papi.url}`,
  );
  return { mlflow, counter, oidc, papi, ports, people, secret: randomBytes(32).toString('base64url'), tmp };
}

/* ------------------------------------------------------------------------------------------------ */
/* A signed-in browser talking JSON to the BFF, like the SPA                                          */
/* ------------------------------------------------------------------------------------------------ */

class Api {
  csrf: string | undefined;
  constructor(
    readonly agent: BrowserAgent,
    readonly origin: string,
  ) {}

  static async signIn(origin: string, person: { login: string; password: string }): Promise<Api> {
    const agent = new BrowserAgent();
    await agent.signIn(`${origin}${BASE}/auth/login`, person.login, person.password);
    return new Api(agent, origin);
  }

  async call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (method !== 'GET') {
      headers.Origin = this.origin;
      if (this.csrf) headers['X-CSRF-Token'] = this.csrf;
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await this.agent.fetch(`${this.origin}${BASE}${p}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = text;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text */
    }
    if (method === 'GET' && p === '/api/me' && res.status === 200 && typeof json?.csrf_token === 'string')
      this.csrf = json.csrf_token;
    return { status: res.status, body: json };
  }
}

function expectStatus(what: string, res: { status: number; body: unknown }, ...ok: number[]) {
  if (!ok.includes(res.status))
    throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
}

/** The MLflow calls an action makes, through the counting proxy. */
async function counted<T>(
  counter: MlflowCallCounter,
  fn: () => Promise<T>,
): Promise<{ value: T; calls: ProxiedCall[] }> {
  counter.reset();
  const value = await fn();
  await sleep(20);
  return { value, calls: [...counter.calls] };
}

function describeCalls(calls: readonly ProxiedCall[]): string {
  const by = new Map<string, number>();
  for (const c of calls) {
    const key = `${c.method} ${c.path.replace(/^\/api\/2\.0\/mlflow\//, '').replace(/^\/api\/3\.0\/mlflow\//, '3.0/')}`;
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return [...by].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', ');
}

/* ------------------------------------------------------------------------------------------------ */
/* Functional part: latency, MLflow calls per action, first load                                      */
/* ------------------------------------------------------------------------------------------------ */

async function functional(s: Services): Promise<void> {
  const bff = new BffProcess(s.ports.functional, {
    env: bffEnv(s, s.ports.functional),
    runtime: imageRuntime(),
    logFile: path.join(s.tmp, 'bff-functional.log'),
  });
  try {
    await bff.ready();
    const count = (c: CallCount) => {
      results.calls.push(c);
      log(`${c.label}: ${c.error ? `error: ${c.error}` : `${c.calls} MLflow call(s) (${c.detail || 'none'})`}`);
    };
    const step = async (
      label: string,
      target: number | undefined,
      fn: () => Promise<{ calls: ProxiedCall[]; status: string }>,
    ) => {
      try {
        const r = await fn();
        count({ label, calls: r.calls.length, detail: describeCalls(r.calls), status: r.status, target });
      } catch (err) {
        count({ label, target, error: (err as Error).message });
        results.errors.push(`${label}: ${(err as Error).message}`);
      }
    };

    // --- latency: one direct MLflow call
    const adminAuth = basicAuth(s.mlflow.adminUsername, s.mlflow.adminPassword);
    const direct = async () => {
      const r = await fetch(
        `${s.mlflow.url}/api/2.0/mlflow/users/get?username=${encodeURIComponent(s.mlflow.adminUsername)}`,
        { headers: { Authorization: adminAuth } },
      );
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`MLflow users/get answered ${r.status}`);
    };
    for (let i = 0; i < 3; i++) await direct();
    const directTimes: number[] = [];
    for (let i = 0; i < N.calls; i++) directTimes.push((await timed(direct)).ms);
    results.direct = directTimes;
    log(`direct MLflow users/get: p50 ${percentile(directTimes, 50).toFixed(1)} ms`);

    // --- the person: Alice (eligible by realm role; PAPI accepts her), and Frank to share with
    const alice = await Api.signIn(bff.origin, accounts.alice);
    await step('GET /api/me, not registered', TARGET.meCalls, async () => {
      expectStatus('GET /api/me', await alice.call('GET', '/api/me'), 200); // warm-up
      const r = await counted(s.counter, () => alice.call('GET', '/api/me'));
      expectStatus('GET /api/me', r.value, 200);
      return { calls: r.calls, status: String(r.value.status) };
    });
    await step('POST /api/me (register)', undefined, async () => {
      const r = await counted(s.counter, () => alice.call('POST', '/api/me', { password: PASSWORD }));
      expectStatus('register', r.value, 201);
      return { calls: r.calls, status: `${r.value.status}, vault ${r.value.body?.vault?.status}` };
    });
    await step('GET /api/me, registered (after a warm-up call)', TARGET.meCalls, async () => {
      expectStatus('GET /api/me', await alice.call('GET', '/api/me'), 200); // warm-up
      const r = await counted(s.counter, () => alice.call('GET', '/api/me'));
      expectStatus('GET /api/me', r.value, 200);
      if (!r.value.body?.account) throw new Error('GET /api/me shows no account after registering');
      return { calls: r.calls, status: `${r.value.status}, vault ${r.value.body?.vault?.status}` };
    });

    // --- latency: GET /api/me of the registered person, Vault enabled
    try {
      const meTimes: number[] = [];
      for (let i = 0; i < N.calls; i++) {
        const { ms, value } = await timed(() => alice.call('GET', '/api/me'));
        expectStatus('GET /api/me', value, 200);
        meTimes.push(ms);
      }
      results.me = meTimes;
      log(`GET /api/me: p50 ${percentile(meTimes, 50).toFixed(1)} ms`);
    } catch (err) {
      results.latencyError = (err as Error).message;
      results.errors.push(`GET /api/me latency: ${(err as Error).message}`);
    }

    await step('PUT /api/me/password', undefined, async () => {
      const r = await counted(s.counter, () => alice.call('PUT', '/api/me/password', { password: NEW_PASSWORD }));
      expectStatus('change password', r.value, 204);
      return { calls: r.calls, status: String(r.value.status) };
    });

    // --- 1,000 experiments Alice creates herself in MLflow (MLflow grants MANAGE to the creator)
    const aliceMlflow = basicAuth(accounts.alice.email!, NEW_PASSWORD);
    const created: string[] = [];
    const t0 = Date.now();
    const run = randomBytes(3).toString('hex');
    await pool(
      // At least one: the sharing change needs an experiment.
      Math.max(1, N.experiments),
      4,
      async (i) => {
        const res = await fetch(`${s.mlflow.url}/api/2.0/mlflow/experiments/create`, {
          method: 'POST',
          headers: { Authorization: aliceMlflow, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: `bench-${run}-${String(i + 1).padStart(4, '0')}` }),
        });
        const body = (await res.json().catch(() => ({}))) as { experiment_id?: string };
        if (res.status !== 200 || !body.experiment_id)
          throw new Error(`MLflow experiments/create as Alice answered ${res.status}`);
        created.push(body.experiment_id);
      },
      {
        deadline: t0 + 30 * 60_000,
        onProgress: (d) => d % 100 === 0 && log(`created ${d}/${N.experiments} experiments as Alice`),
      },
    );
    results.experimentsCreated = created.length;
    results.experimentsSeconds = (Date.now() - t0) / 1000;

    if (N.experiments > 0)
      await step(`GET /api/resources?type=experiment (${created.length} experiments)`, undefined, async () => {
        const cold = await timed(() => counted(s.counter, () => alice.call('GET', '/api/resources?type=experiment')));
        expectStatus('list resources', cold.value.value, 200);
        const rows = (cold.value.value.body?.resources ?? []) as Array<{ id: string }>;
        const warm = await timed(() => counted(s.counter, () => alice.call('GET', '/api/resources?type=experiment')));
        results.listing = { rows: rows.length, coldMs: cold.ms, warmMs: warm.ms, warmCalls: warm.value.calls.length };
        return { calls: cold.value.calls, status: `${cold.value.value.status}, ${rows.length} rows` };
      });

    const frank = await Api.signIn(bff.origin, accounts.frank);
    expectStatus('GET /api/me (Frank)', await frank.call('GET', '/api/me'), 200);
    expectStatus('register (Frank)', await frank.call('POST', '/api/me', { password: PASSWORD }), 201);
    await step('PUT /api/experiment/{id}/collaborators/{username}', undefined, async () => {
      const id = created[0];
      if (!id) throw new Error('no experiment was created');
      const r = await counted(s.counter, () =>
        alice.call(
          'PUT',
          `/api/experiment/${encodeURIComponent(id)}/collaborators/${encodeURIComponent(accounts.frank.email!)}`,
          { permission: 'READ' },
        ),
      );
      expectStatus('share', r.value, 200, 201);
      return { calls: r.calls, status: String(r.value.status) };
    });

    // --- a sign-in's group sync with 0, 5 and 50 shared groups (Ivan shares them all, Heidi joins them)
    await groupSyncSteps(s, bff.origin, step);

    // --- the SPA's first load, as served
    try {
      const dist = path.join(repoRoot, 'client', 'dist');
      const { initial } = await firstLoadScripts(dist);
      const headers = { 'Accept-Encoding': CHROME_ACCEPT_ENCODING, Accept: 'text/html' };
      const page = await rawGet(`${bff.origin}${BASE}/`, headers);
      const encodings = new Set<string>([String(page.headers['content-encoding'] ?? 'identity')]);
      let js = 0;
      let jsRaw = 0;
      for (const file of initial) {
        const r = await rawGet(`${bff.origin}${BASE}/${path.relative(dist, file).split(path.sep).join('/')}`, {
          'Accept-Encoding': CHROME_ACCEPT_ENCODING,
        });
        if (r.status !== 200) throw new Error(`${path.relative(dist, file)} answered ${r.status}`);
        js += r.bytes;
        jsRaw += readFileSync(file).length;
        encodings.add(String(r.headers['content-encoding'] ?? 'identity'));
      }
      let css = 0;
      const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
      for (const [, href] of html.matchAll(/<link\b[^>]*rel=["']stylesheet["'][^>]*href=["']([^"']+)["']/gi)) {
        css += (
          await rawGet(`${bff.origin}${BASE}/${href!.replace(/^\.?\//, '')}`, {
            'Accept-Encoding': CHROME_ACCEPT_ENCODING,
          })
        ).bytes;
      }
      results.firstLoad = {
        js,
        jsFiles: initial.length,
        html: page.bytes,
        css,
        jsRaw,
        encodings: [...encodings].join('/'),
      };
    } catch (err) {
      results.firstLoadError = (err as Error).message;
      results.errors.push(`first load: ${(err as Error).message}`);
    }
  } finally {
    await bff.stop();
  }
}

/** Signs in and waits for that sign-in's group sync to be recorded (`GET /api/me/groups` costs no MLflow call). */
async function signInSynced(origin: string, person: { login: string; password: string }): Promise<Api> {
  const start = Date.now();
  const api = await Api.signIn(origin, person);
  for (let i = 0; i < 600; i++) {
    const sync = (await api.call('GET', '/api/me/groups')).body?.sync;
    if (sync && Date.parse(sync.attempted_at) >= start) return api;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the group sync of ${person.login}'s sign-in was never recorded`);
}

async function groupSyncSteps(
  s: Services,
  origin: string,
  step: (
    label: string,
    target: number | undefined,
    fn: () => Promise<{ calls: ProxiedCall[]; status: string }>,
  ) => Promise<void>,
): Promise<void> {
  const groups = (n: number) => Array.from({ length: n }, (_, i) => `bench-group-${String(i + 1).padStart(2, '0')}`);
  const roles = (extra: string[]) => ({
    realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access', ...extra] },
  });
  s.oidc.setClaims('ivan', roles(groups(50)));
  s.oidc.setClaims('heidi', roles([]));
  const ivan = await Api.signIn(origin, accounts.ivan);
  await ivan.call('GET', '/api/me'); // the CSRF token
  expectStatus('register (Ivan)', await ivan.call('POST', '/api/me', { password: PASSWORD }), 201);
  const heidi = await Api.signIn(origin, accounts.heidi);
  await heidi.call('GET', '/api/me');
  expectStatus('register (Heidi)', await heidi.call('POST', '/api/me', { password: PASSWORD }), 201);
  // Ivan manages an experiment of his own and shares it with his 50 groups (he joins each role at once).
  const exp = await fetch(`${s.mlflow.url}/api/2.0/mlflow/experiments/create`, {
    method: 'POST',
    headers: { Authorization: basicAuth(accounts.ivan.email!, PASSWORD), 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'bench group experiment' }),
  });
  const { experiment_id: id } = (await exp.json()) as { experiment_id: string };
  for (const g of groups(50))
    expectStatus(
      `share with ${g}`,
      await ivan.call('PUT', `/api/experiment/${id}/groups/${encodeURIComponent(`realm_role:${g}`)}`, {
        permission: 'READ',
      }),
      201,
    );
  const signIn = (label: string, n: number) =>
    step(label, undefined, async () => {
      s.oidc.setClaims('heidi', roles(groups(n)));
      const r = await counted(s.counter, () => signInSynced(origin, accounts.heidi));
      return { calls: r.calls, status: `${n} group(s)` };
    });
  await signIn('sign-in, 0 groups', 0);
  await signIn('sign-in, 0 groups (again)', 0);
  await signIn('sign-in, 5 groups (first since shared: joins 5)', 5);
  await signIn('sign-in, 5 groups (again, in step)', 5);
  await signIn('sign-in, 50 groups (joins 45 more)', 50);
  await signIn('sign-in, 50 groups (again, in step)', 50);
  await signIn('sign-in, 0 groups (leaves 50)', 0);
}

/* ------------------------------------------------------------------------------------------------ */
/* Memory: idle, 10,000 sessions, 50,000 anonymous sign-in starts                                     */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Signs in again with an existing provider session: BFF `/auth/login` → provider authorize (no form: the
 * provider session and the grant exist) → BFF callback. Returns the browser's BFF cookies afterwards.
 */
async function singleSignOn(origin: string, issuer: string, providerCookies: string): Promise<string> {
  const jar = new MiniJar();
  const start = await fetch(`${origin}${BASE}/auth/login`, { redirect: 'manual' });
  await start.arrayBuffer();
  jar.take(start);
  if (start.status !== 302) throw new Error(`/auth/login answered ${start.status}`);
  let next = new URL(start.headers.get('location')!, origin);
  for (let hop = 0; next.origin === new URL(issuer).origin; hop++) {
    if (hop > 6) throw new Error('too many redirects at the provider');
    const r = await fetch(next, { redirect: 'manual', headers: { Cookie: providerCookies } });
    await r.arrayBuffer();
    if (!isRedirect(r.status))
      throw new Error(
        `the provider answered ${r.status} at ${next.pathname} (its session should have signed the person in)`,
      );
    next = new URL(r.headers.get('location')!, next);
  }
  const callback = await fetch(next, { redirect: 'manual', headers: { Cookie: jar.header() } });
  await callback.arrayBuffer();
  jar.take(callback);
  if (callback.status !== 302) throw new Error(`the callback answered ${callback.status}`);
  return jar.header();
}

async function checkSessions(
  origin: string,
  sample: readonly string[],
): Promise<{ ok: number; total: number; statuses: string }> {
  const statuses = new Map<number, number>();
  await pool(sample.length, 4, async (i) => {
    const r = await fetch(`${origin}${BASE}/api/me`, { headers: { Cookie: sample[i]!, Accept: 'application/json' } });
    await r.arrayBuffer();
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  });
  return {
    ok: statuses.get(200) ?? 0,
    total: sample.length,
    statuses: [...statuses].map(([k, v]) => `${k}×${v}`).join(' '),
  };
}

/** The first and last few, and the rest spread evenly. */
function sampleOf<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const picked = new Set<number>();
  for (let i = 0; i < Math.min(5, n); i++) picked.add(i).add(items.length - 1 - i);
  for (let i = 0; picked.size < n; i++) picked.add(Math.floor((i * items.length) / n));
  return [...picked].sort((a, b) => a - b).map((i) => items[i]!);
}

async function memoryRun(s: Services, profile: 'image' | 'plain'): Promise<MemoryRun> {
  const runtime = profile === 'image' ? imageRuntime() : { env: {}, nodeArgs: [] };
  const out: MemoryRun = { profile, runtime };
  const port = s.ports[profile];
  const bff = new BffProcess(port, {
    env: bffEnv(s, port),
    runtime,
    gcProbe: true,
    logFile: path.join(s.tmp, `bff-memory-${profile}.log`),
  });
  const label = `[${profile}]`;
  try {
    await bff.ready();
    await sleep(3000);
    out.idle = bff.memory();
    out.idleGc = await bff.gcProbe();
    log(`${label} idle: ${(out.idle.rss / MB).toFixed(1)} MB`);

    // Signed-in sessions: each person once through the login form, then single sign-on.
    const t0 = Date.now();
    const sessions: string[] = [];
    const providerCookies: string[] = [];
    const people = s.people.slice(0, Math.min(s.people.length, N.sessions));
    await pool(people.length, 8, async (i) => {
      const agent = new BrowserAgent();
      await agent.signIn(`${bff.origin}${BASE}/auth/login`, people[i]!.login, people[i]!.password);
      sessions.push((await agent.cookiesFor(`${bff.origin}${BASE}/`)).map((c) => c.cookieString()).join('; '));
      providerCookies[i] = (await agent.cookiesFor(s.oidc.issuer)).map((c) => c.cookieString()).join('; ');
    });
    const deadline = Date.now() + FLOOD_DEADLINE_MS;
    await pool(
      N.sessions - sessions.length,
      16,
      async (i) => sessions.push(await singleSignOn(bff.origin, s.oidc.issuer, providerCookies[i % people.length]!)),
      { deadline, onProgress: (d) => d % 2000 === 0 && log(`${label} ${d + people.length} sessions`) },
    );
    out.sessions = sessions.length;
    out.sessionsSeconds = (Date.now() - t0) / 1000;
    await sleep(3000);
    out.afterSessions = bff.memory();
    out.afterSessionsGc = await bff.gcProbe();
    log(
      `${label} after ${sessions.length} sessions (${out.sessionsSeconds.toFixed(0)} s): ${(out.afterSessions.rss / MB).toFixed(1)} MB`,
    );
    const sample = sampleOf(sessions, N.samples);
    out.validBefore = await checkSessions(bff.origin, sample);

    // Anonymous, cookieless sign-in starts.
    const t1 = Date.now();
    const statuses = new Map<number, number>();
    const anon = await pool(
      N.anonymous,
      32,
      async () => {
        const r = await fetch(`${bff.origin}${BASE}/auth/login`, { redirect: 'manual' });
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      },
      {
        deadline: Date.now() + FLOOD_DEADLINE_MS,
        onProgress: (d) => d % 10_000 === 0 && log(`${label} ${d} anonymous sign-in starts`),
      },
    );
    out.anonymous = anon.done;
    out.anonymousSeconds = (Date.now() - t1) / 1000;
    out.anonymousStatuses = [...statuses].map(([k, v]) => `${k}×${v}`).join(' ');
    await sleep(3000);
    out.afterAnonymous = bff.memory();
    out.afterAnonymousGc = await bff.gcProbe();
    out.validAfter = await checkSessions(bff.origin, sample);
    log(
      `${label} after ${anon.done} anonymous (${out.anonymousSeconds.toFixed(0)} s): ${(out.afterAnonymous.rss / MB).toFixed(1)} MB; sessions valid ${out.validAfter.ok}/${out.validAfter.total}`,
    );
  } catch (err) {
    out.error = (err as Error).message;
    results.errors.push(`memory ${profile}: ${(err as Error).message}`);
    log(`${label} error: ${(err as Error).message}`);
  } finally {
    await bff.stop();
  }
  return out;
}

/* ------------------------------------------------------------------------------------------------ */
/* The report                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

const mb = (bytes: number | undefined) =>
  bytes === undefined || Number.isNaN(bytes) ? '—' : `${(bytes / MB).toFixed(1)} MB`;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${mb(Math.abs(bytes))}`;

/** A text table: the first column (and any in `left`) left-aligned, the others right-aligned. */
function table(title: string, header: string[], rows: string[][], left: number[] = []): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    `  ${r.map((cell, c) => (c === 0 || left.includes(c) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ')}`.trimEnd();
  return [title, line(header), `  ${widths.map((w) => '-'.repeat(w)).join('   ')}`, ...rows.map(line)].join('\n');
}

function report(s: Services | undefined): string {
  const out: string[] = [];

  out.push('');
  out.push(
    `MLflow Auth GUI benchmark — Node.js ${process.version}, MLflow ${s?.mlflow.version ?? '?'}, ${os.cpus().length} CPU(s), ${new Date().toISOString()}`,
  );
  out.push(
    `BFF: node server/dist/main.js (NODE_ENV=production, in-memory sessions, Vault on); image runtime settings: ${describeRuntime(imageRuntime())}`,
  );
  out.push('');

  // Latency
  const lat: string[][] = [];
  if (results.direct)
    lat.push([
      'MLflow direct: GET users/get as admin (Basic)',
      ms(percentile(results.direct, 50)),
      ms(percentile(results.direct, 99)),
      '',
      '',
    ]);
  if (results.me)
    lat.push([
      'BFF: GET /signup/api/me (registered, Vault on)',
      ms(percentile(results.me, 50)),
      ms(percentile(results.me, 99)),
      '',
      '',
    ]);
  if (results.direct && results.me) {
    const r50 = percentile(results.me, 50) / percentile(results.direct, 50);
    const r99 = percentile(results.me, 99) / percentile(results.direct, 99);
    lat.push([
      '  ratio /api/me ÷ direct',
      `${r50.toFixed(2)}×`,
      `${r99.toFixed(2)}×`,
      `≤ ${TARGET.ratio}× (p50)`,
      mark(r50 <= TARGET.ratio),
    ]);
  }
  if (results.latencyError) lat.push([`BFF: GET /signup/api/me — error: ${results.latencyError}`, '', '', '', 'FAIL']);
  out.push(table(`Latency (${N.calls} sequential calls each, after warm-up)`, ['', 'p50', 'p99', 'target', ''], lat));
  out.push('');

  // MLflow calls
  const calls = results.calls.map((c) => [
    c.label,
    c.error ? 'error' : String(c.calls),
    c.target === undefined ? '—' : `≤ ${c.target}`,
    c.error ? 'FAIL' : mark(c.target === undefined ? undefined : c.calls! <= c.target),
    c.error ? c.error.slice(0, 120) : `${c.status ?? ''}${c.detail ? ` — ${c.detail}` : ''}`,
  ]);
  out.push(
    table(
      'MLflow calls per action (through the counting proxy)',
      ['', 'calls', 'target', '', 'status — MLflow endpoints'],
      calls,
      [4],
    ),
  );
  if (results.listing) {
    out.push(
      `  (${results.experimentsCreated} experiments created by the person in ${results.experimentsSeconds.toFixed(0)} s; listing: ${results.listing.rows} rows, first call ${ms(results.listing.coldMs)}, second call ${ms(results.listing.warmMs)} with ${results.listing.warmCalls} MLflow calls)`,
    );
  }
  out.push('');

  // Memory
  const runs = results.memory;
  if (runs.length > 0) {
    const cols = runs.map((r) => (r.profile === 'image' ? 'image settings' : 'plain node'));
    const cell = (r: MemoryRun, value: string, ok: boolean | undefined) =>
      value === '—' ? '—' : `${value} ${mark(ok)}`.trim();
    const rows: string[][] = [];
    rows.push([
      'idle after start',
      ...runs.map((r) => cell(r, mb(r.idle?.rss), r.idle && r.idle.rss / MB <= TARGET.idleMb)),
      `≤ ${TARGET.idleMb} MB`,
    ]);
    rows.push([
      `after ${runs[0]?.sessions ?? N.sessions} signed-in sessions`,
      ...runs.map((r) =>
        cell(r, mb(r.afterSessions?.rss), r.afterSessions && r.afterSessions.rss / MB <= TARGET.sessionsMb),
      ),
      `≤ ${TARGET.sessionsMb} MB`,
    ]);
    rows.push([
      `after ${runs[0]?.anonymous ?? N.anonymous} anonymous GET /auth/login`,
      ...runs.map((r) => cell(r, mb(r.afterAnonymous?.rss), undefined)),
      '',
    ]);
    rows.push([
      '  growth during the anonymous requests',
      ...runs.map((r) => {
        if (!r.afterAnonymous || !r.afterSessions) return '—';
        const growth = r.afterAnonymous.rss - r.afterSessions.rss;
        return `${signedMb(growth)} ${mark(growth / MB <= TARGET.anonGrowthMb)}`;
      }),
      `≤ +${TARGET.anonGrowthMb} MB`,
    ]);
    rows.push([
      '  signed-in sessions still valid (sample)',
      ...runs.map((r) =>
        r.validAfter ? `${r.validAfter.ok}/${r.validAfter.total} ${mark(r.validAfter.ok === r.validAfter.total)}` : '—',
      ),
      'all',
    ]);
    rows.push([
      '    GET /api/me statuses of the sample, before / after',
      ...runs.map((r) => `${r.validBefore?.statuses ?? '—'} / ${r.validAfter?.statuses ?? '—'}`),
      '',
    ]);
    rows.push(['', ...runs.map(() => ''), '']);
    rows.push([
      'diagnostics: private (RssAnon) idle / sessions / anon',
      ...runs.map((r) => `${mb(r.idle?.anon)} / ${mb(r.afterSessions?.anon)} / ${mb(r.afterAnonymous?.anon)}`),
      '',
    ]);
    rows.push(['  file-backed (RssFile, the node binary) idle', ...runs.map((r) => mb(r.idle?.file)), '']);
    rows.push(['  JS heap live after a full GC: idle', ...runs.map((r) => mb(r.idleGc?.after.heapUsed)), '']);
    rows.push([
      '    after the sessions (per session)',
      ...runs.map((r) => {
        if (!r.afterSessionsGc || !r.idleGc || !r.sessions) return '—';
        const per = (r.afterSessionsGc.after.heapUsed - r.idleGc.after.heapUsed) / r.sessions;
        return `${mb(r.afterSessionsGc.after.heapUsed)} (${(per / 1024).toFixed(1)} KB)`;
      }),
      '',
    ]);
    rows.push(['    after the anonymous requests', ...runs.map((r) => mb(r.afterAnonymousGc?.after.heapUsed)), '']);
    rows.push([
      '  V8 heap reserved (heapTotal) before that GC: sessions / anon',
      ...runs.map((r) => `${mb(r.afterSessionsGc?.before.heapTotal)} / ${mb(r.afterAnonymousGc?.before.heapTotal)}`),
      '',
    ]);
    rows.push([
      '  sessions valid before the anonymous requests',
      ...runs.map((r) => (r.validBefore ? `${r.validBefore.ok}/${r.validBefore.total}` : '—')),
      '',
    ]);
    rows.push([
      '  sign-ins/s; anonymous requests/s (statuses)',
      ...runs.map((r) =>
        r.sessionsSeconds && r.anonymousSeconds
          ? `${((r.sessions ?? 0) / r.sessionsSeconds).toFixed(0)}; ${((r.anonymous ?? 0) / r.anonymousSeconds).toFixed(0)} (${r.anonymousStatuses})`
          : '—',
      ),
      '',
    ]);
    for (const r of runs)
      if (r.error)
        rows.push([`  error (${r.profile})`, ...runs.map((x) => (x === r ? r.error!.slice(0, 100) : '')), '']);
    out.push(table('Memory of the BFF process (VmRSS)', ['', ...cols, 'target'], rows));
    out.push('');
  }
  if (results.breakdown) {
    const rows: string[][] = [];
    let prev: Memory | undefined;
    for (const { step, memory } of results.breakdown) {
      rows.push([step, mb(memory.rss), prev ? signedMb(memory.rss - prev.rss) : '', mb(memory.anon), mb(memory.file)]);
      prev = memory;
    }
    const running = results.memory.find((r) => r.profile === 'image')?.idle;
    if (running && prev)
      rows.push([
        'the BFF started and idle (above)',
        mb(running.rss),
        signedMb(running.rss - prev.rss),
        mb(running.anon),
        mb(running.file),
      ]);
    out.push(
      table(
        'What the idle memory is made of (fresh processes loading cumulatively more, image settings)',
        ['', 'VmRSS', 'step', 'RssAnon', 'RssFile'],
        rows,
      ),
    );
    out.push('');
  }

  // First load
  if (results.firstLoad) {
    const f = results.firstLoad;
    out.push(
      table(
        'SPA first load, bytes on the wire (Accept-Encoding: gzip, deflate, br, zstd)',
        ['', 'bytes', 'target', ''],
        [
          [
            `JavaScript for the first page (${f.jsFiles} files; ${kb(f.jsRaw)} uncompressed)`,
            kb(f.js),
            `≤ ${TARGET.firstLoadKb} KB`,
            mark(f.js / 1024 <= TARGET.firstLoadKb),
          ],
          ['  + index.html + CSS', kb(f.js + f.html + f.css), '', ''],
          ['  encodings served', f.encodings, '', ''],
        ],
      ),
    );
  } else if (results.firstLoadError) {
    out.push(`SPA first load: error: ${results.firstLoadError}`);
  }
  out.push('');
  if (results.errors.length) {
    out.push(`Measurements that could not be made (${results.errors.length}):`);
    for (const e of results.errors) out.push(`  - ${e}`);
    out.push('');
  }
  return out.join('\n');
}

/* ------------------------------------------------------------------------------------------------ */

async function main(): Promise<number> {
  const stops: Array<() => Promise<unknown>> = [];
  let services: Services | undefined;
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    services = await startServices(stops);
    log(`counts: ${JSON.stringify(N)}; profiles: ${profiles.join(', ')}`);
    try {
      await functional(services);
    } catch (err) {
      results.errors.push(`latency and MLflow calls: ${(err as Error).message}`);
      log(`error: ${(err as Error).stack ?? String(err)}`);
    }
    for (const profile of profiles) results.memory.push(await memoryRun(services, profile));
    try {
      results.breakdown = await idleBreakdown(imageRuntime());
    } catch (err) {
      results.errors.push(`idle breakdown: ${(err as Error).message}`);
    }
  } catch (err) {
    results.errors.push(`harness: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await stopAll();
  }
  process.stdout.write(report(services));
  // The BFF logs are kept only when something could not be measured.
  if (services && results.errors.length === 0) rmSync(services.tmp, { recursive: true, force: true });
  else if (services) process.stdout.write(`BFF logs: ${services.tmp}\n`);
  return results.errors.length > 0 ? 1 : 0;
}

// Exit explicitly: pooled keep-alive sockets would otherwise keep the process alive for a while.
process.exit(await main());
