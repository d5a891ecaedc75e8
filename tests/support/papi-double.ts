/**
 * A stand-in for the AI4OS platform API's secrets endpoints (PAPI), which store a user's MLflow
 * credentials in Vault on their behalf.
 *
 * The real PAPI needs Vault and EGI Check-in, so the tests use this double instead. It honours
 * docs/reference/papi-secrets-api.md (and PAPI's `ai4papi/routers/v1/secrets.py`): the same
 * routes, parameters, status codes and FastAPI-style bodies, KV v1 storage under
 * `users/<sub>/<vo>/<secret_path>`, and authentication with **the user's own access token**, checked
 * against the test provider's userinfo endpoint. It can also be made to fail, so the BFF's handling of
 * a Vault that is down or refuses a write is tested against the same contract.
 *
 * Order of checks, as FastAPI runs them: a missing `Authorization: Bearer` header → 401 (the
 * `HTTPBearer` dependency; older FastAPI said 403); then missing `vo`/`secret_path`/body → 422; then the
 * token (userinfo must accept it, and carry `sub`, `name`, `email`) → 401; then VO membership
 * (`realm_access.roles` must hold `access:<vo>:<level>`) → 401. The real PAPI verifies the JWT locally
 * (RS256, issuer, exp, audience `account`); the double's provider issues opaque access tokens, so
 * asking its userinfo endpoint is the equivalent check.
 */
import http from 'node:http';

import { freePort, listen } from './ports.js';

type PapiMethod = 'GET' | 'POST' | 'DELETE';

interface PapiRequestRecord {
  method: string;
  /** Path and query, e.g. `/v1/secrets?vo=vo.ai4eosc.eu&secret_path=...`. */
  path: string;
  /** Whether the bearer token was valid and allowed for the VO. */
  authorized: boolean;
  /** The status the double answered. */
  status: number;
  /** The `sub` the token belonged to, when it was valid. */
  sub?: string;
}

interface FailNextOptions {
  /** Only requests with this method; default any. */
  method?: PapiMethod;
  /** Default 500 (answered like uvicorn does for an uncaught Vault error: text `Internal Server Error`). */
  status?: number;
  /** How many matching requests fail. Default 1. */
  times?: number;
  /** Wait this long before answering (to exercise the BFF's timeouts). Default 0. */
  delayMs?: number;
}

export interface PapiDouble {
  /** Base URL as the BFF is configured with it: `http://127.0.0.1:<port>/v1`. */
  url: string;
  stop(): Promise<void>;
  /** What is stored at `users/<sub>/<vo>/<path>` (leading/trailing slashes in `path` do not matter). */
  secretFor(sub: string, vo: string, path: string): Record<string, string> | undefined;
  /** Stores a secret directly, bypassing HTTP (as if written behind the BFF's back): for arranging a test. */
  putSecret(sub: string, vo: string, path: string, data: Record<string, string>): void;
  /** Deletes a secret directly, bypassing HTTP. */
  deleteSecret(sub: string, vo: string, path: string): void;
  /** The next matching request(s) fail, whatever they are, and change nothing. */
  failNext(opts?: FailNextOptions): void;
  /** While down, every request is answered 503 and changes nothing. */
  setDown(down: boolean): void;
  /** Every request received, in order. */
  requests: PapiRequestRecord[];
}

export interface StartPapiDoubleOptions {
  /** The OpenID provider whose userinfo endpoint validates bearer tokens. */
  issuer: string;
  /** Default: a free port. */
  port?: number;
}

/** `a//b/` → `a/b`: Vault paths are not sensitive to leading, trailing or doubled slashes. */
function normalizePath(p: string): string {
  return p.split('/').filter(Boolean).join('/');
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

function missing(loc: string[]) {
  return { type: 'missing', loc, msg: 'Field required', input: null };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the double on 127.0.0.1 and resolves once it listens. */
export async function startPapiDouble(opts: StartPapiDoubleOptions): Promise<PapiDouble> {
  const port = opts.port ?? (await freePort());
  const store = new Map<string, Record<string, string>>();
  const failures: Array<Required<Omit<FailNextOptions, 'method'>> & { method?: PapiMethod }> = [];
  const requests: PapiRequestRecord[] = [];
  let down = false;
  let userinfoEndpoint: string | undefined;

  const keyFor = (sub: string, vo: string, path: string) => `users/${sub}/${vo}/${normalizePath(path)}`;

  async function userinfo(token: string): Promise<Record<string, unknown>> {
    if (!userinfoEndpoint) {
      const res = await fetch(`${opts.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
      if (!res.ok) throw new Error(`PAPI double: discovery at ${opts.issuer} answered ${res.status}`);
      const meta = (await res.json()) as { userinfo_endpoint?: string };
      if (!meta.userinfo_endpoint) throw new Error(`PAPI double: ${opts.issuer} has no userinfo_endpoint`);
      userinfoEndpoint = meta.userinfo_endpoint;
    }
    const res = await fetch(userinfoEndpoint, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) {
      await res.arrayBuffer();
      throw new HttpError(401, 'Invalid token');
    }
    return (await res.json()) as Record<string, unknown>;
  }

  /** PAPI's `get_user_info` + `check_vo_membership`, against userinfo. Returns the user's `sub`. */
  async function authorize(token: string, vo: string): Promise<string> {
    const info = await userinfo(token);
    for (const k of ['sub', 'name', 'email']) {
      if (info[k] === undefined || info[k] === null) throw new HttpError(401, `You token should have scopes for ${k}.`);
    }
    const roles = (info.realm_access as { roles?: unknown } | undefined)?.roles;
    const list = Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
    if (!list.some((r) => r.startsWith(`access:${vo}:`))) {
      const vos = [...new Set(list.filter((r) => r.startsWith('access:')).map((r) => r.split(':')[1]))];
      throw new HttpError(
        401,
        `The requested Virtual Organization (${vo}) does not match with any of your available VOs: ${JSON.stringify(vos)}.`,
      );
    }
    return String(info.sub);
  }

  async function handle(
    req: http.IncomingMessage,
    record: PapiRequestRecord,
  ): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', 'http://papi.invalid');
    if (url.pathname !== '/v1/secrets' && url.pathname !== '/v1/secrets/') throw new HttpError(404, 'Not Found');
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST' && method !== 'DELETE') {
      throw new HttpError(405, 'Method Not Allowed', { Allow: 'GET, POST, DELETE' });
    }

    // 1. HTTPBearer dependency.
    const authz = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    if (!match?.[1]) throw new HttpError(401, 'Not authenticated', { 'WWW-Authenticate': 'Bearer' });
    const token = match[1];

    // 2. Parameter validation (all errors at once, as FastAPI reports them).
    const vo = url.searchParams.get('vo');
    const secretPath = url.searchParams.get('secret_path');
    const problems: unknown[] = [];
    if (vo === null) problems.push(missing(['query', 'vo']));
    if (method !== 'GET' && secretPath === null) problems.push(missing(['query', 'secret_path']));
    let secretData: Record<string, string> | undefined;
    if (method === 'POST') {
      const raw = await readBody(req);
      let parsed: unknown;
      try {
        parsed = raw.trim() === '' ? undefined : JSON.parse(raw);
      } catch {
        problems.push({
          type: 'json_invalid',
          loc: ['body', 0],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: 'Expecting value' },
        });
        parsed = null;
      }
      if (parsed === undefined) problems.push(missing(['body']));
      else if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
        problems.push({ type: 'dict_type', loc: ['body'], msg: 'Input should be a valid dictionary', input: parsed });
      } else if (parsed !== null) secretData = parsed as Record<string, string>;
    } else {
      await readBody(req);
    }
    if (problems.length) throw new HttpError(422, problems);

    // 3. Token and VO membership.
    const sub = await authorize(token, vo as string);
    record.authorized = true;
    record.sub = sub;
    const userRoot = `users/${sub}/${vo}`;

    if (method === 'GET') {
      const subpath = normalizePath(url.searchParams.get('subpath') ?? '');
      // Vault LIST on `<user root>/<subpath>/`: only what lies below that folder (a secret's own path lists nothing).
      const prefix = `${userRoot}/${subpath ? `${subpath}/` : ''}`;
      const out: Record<string, Record<string, string>> = {};
      for (const [key, data] of store) if (key.startsWith(prefix)) out[key.slice(userRoot.length)] = data;
      return { status: 200, body: out };
    }
    const key = keyFor(sub, vo as string, secretPath as string);
    if (method === 'POST')
      store.set(key, { ...(secretData as Record<string, string>) }); // KV v1: replace whole object
    else store.delete(key); // does not check that it existed
    return { status: 200, body: { status: 'success' } };
  }

  const server = http.createServer((req, res) => {
    const record: PapiRequestRecord = { method: req.method ?? '', path: req.url ?? '', authorized: false, status: 0 };
    requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = typeof body === 'string' && status >= 500 ? body : JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': typeof body === 'string' && status >= 500 ? 'text/plain; charset=utf-8' : 'application/json',
        ...headers,
      });
      res.end(text);
    };
    void (async () => {
      if (down) {
        await readBody(req);
        send(503, 'Service Unavailable');
        return;
      }
      const failure = failures.find((f) => !f.method || f.method === req.method);
      if (failure) {
        failure.times -= 1;
        if (failure.times <= 0) failures.splice(failures.indexOf(failure), 1);
        await readBody(req);
        if (failure.delayMs > 0) await new Promise((r) => setTimeout(r, failure.delayMs));
        send(failure.status, failure.status >= 500 ? 'Internal Server Error' : { detail: 'Injected failure' });
        return;
      }
      try {
        const { status, body } = await handle(req, record);
        send(status, body);
      } catch (err) {
        if (err instanceof HttpError) send(err.status, { detail: err.detail }, err.headers);
        else send(500, 'Internal Server Error');
      }
    })();
  });
  const actual = await listen(server, port);

  return {
    url: `http://127.0.0.1:${actual}/v1`,
    requests,
    async stop() {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
    secretFor(sub, vo, path) {
      const data = store.get(keyFor(sub, vo, path));
      return data ? { ...data } : undefined;
    },
    putSecret(sub, vo, path, data) {
      store.set(keyFor(sub, vo, path), { ...data });
    },
    deleteSecret(sub, vo, path) {
      store.delete(keyFor(sub, vo, path));
    },
    failNext(o = {}) {
      failures.push({ method: o.method, status: o.status ?? 500, times: o.times ?? 1, delayMs: o.delayMs ?? 0 });
    },
    setDown(d) {
      down = d;
    },
  };
}
