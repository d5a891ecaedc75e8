/**
 * Property-based fuzzing of every BFF route on the real stack (MLflow 3.18.0, the real OpenID provider,
 * Vault through the PAPI double), with fast-check.
 *
 * Each property sends one generated request at a time over a raw `node:http` connection (so paths reach
 * the server byte for byte: no URL normalisation of `..`, `%2e`, malformed `%ZZ`, raw Latin-1 bytes):
 * a method, a path built from the real routes with fuzzed segments, a query string, a body, a content
 * type and the CSRF-relevant headers. Half of the requests aim at a real route with its own method and,
 * part of the time, the body it wants (segments and everything else still fuzzed); the other half are
 * anything. The same properties run anonymously and as a signed-in registered person (alice), who sends
 * the right CSRF token and her own Origin most of the time, so that state-changing requests get deep into
 * the routes and reach MLflow and Vault. Each property logs how its requests were answered (status and
 * error code), to show how deep they got; `FUZZ_DEBUG=1` logs every request and answer.
 *
 * For every answer:
 * - no 5xx, ever: everything is up, so even 503 `mlflow_unavailable`/`provider_unavailable` is a bug here;
 * - a JSON error answer is exactly `{"error": {"code": snake_case, "message": "...", "fields"?: [...]}}`,
 *   and every error answer of `/signup/api/*` that has a body is JSON (docs/api.md: "Every error answer");
 * - no stack trace, source path or `node:internal` text in any body.
 *
 * The MLflow invariant (checked as MLflow's admin, before and after: `GET /api/2.0/mlflow/users/list` and
 * each user's `GET /api/3.0/mlflow/users/permissions/list`):
 * - anonymous requests change nothing at all;
 * - the signed-in fuzzing may only do what alice may legitimately do: change or delete her own account,
 *   and change the grants on her own experiments (the `aliceExperiments` set). So, afterwards: no user was
 *   added except alice, no user other than alice was removed, nobody's `is_admin` or id changed, every
 *   grant of every user other than alice on anything but alice's experiments is exactly as before, and
 *   alice holds no grant on anything that is not hers beyond what she held before (frank's READ on his
 *   experiment). Frank's and grace's MLflow passwords and Vault secrets are unchanged.
 * When alice deletes her account, signs out or loses MANAGE on her experiment during the run, the harness
 * puts her back (signs in, registers, creates a fresh experiment) so that later requests still go deep;
 * those repairs are part of "alice's own account and resources".
 *
 * A failure prints fast-check's (shrunk) counterexample in a readable form: the request as sent, and the
 * answer. Re-run one with `FUZZ_SEED=<seed>`; `FUZZ_RUNS=<factor>` multiplies the number of runs.
 */
import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import fc from 'fast-check';

import { defaultClientDist } from '../../server/src/app.js';
import { mlflowAs, signInStatus } from '../support/mlflow-direct.js';
import { startStack, TEST_VO, type ApiSession, type Stack } from '../support/stack.js';

const SECRET_PATH = '/services/mlflow/credentials';
const ALICE = 'alice@example.org';
const FRANK = 'frank@example.org';
const GRACE = 'grace@example.org';
const ALICE_PASSWORD = 'alice-mlflow-password-1';
const FRANK_PASSWORD = 'frank-mlflow-password-2';
const GRACE_PASSWORD = 'grace-mlflow-password-3';
const MODEL = 'frank model ü';
const PROMPT = 'frank prompt ü';

const RUN_FACTOR = Number(process.env.FUZZ_RUNS ?? '1') || 1;
const runs = (n: number) => Math.max(1, Math.round(n * RUN_FACTOR));
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/* ------------------------------------------------------------------------------------------------ */
/* What a generated request is                                                                        */
/* ------------------------------------------------------------------------------------------------ */

type OriginKind = 'own' | 'foreign' | 'null' | 'none' | 'own-slash' | 'no-port' | 'https-own';
type CsrfKind = 'right' | 'wrong' | 'other-session' | 'missing' | 'empty' | 'form-field';
type CookieKind = 'session' | 'none' | 'tampered' | 'garbage';

interface FuzzRequest {
  method: string;
  /** Path template: `{E_A}` (alice's current experiment), `{E_F}` (frank's), `{MODEL}`, `{PROMPT}` are filled in when sent. */
  path: string;
  /** '' or starting with '?'. */
  query: string;
  accept: string | undefined;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  origin: OriginKind;
  secFetchSite: string | undefined;
  csrf: CsrfKind;
  cookie: CookieKind;
  /** `{CSRF}` is replaced by the right token for `csrf: 'form-field'`, else by a wrong one. */
  body: string | undefined;
}

function describeRequest(r: FuzzRequest): string {
  const shown = (s: string, max = 300) =>
    s.length > max ? `${JSON.stringify(s.slice(0, max))}… (${s.length} chars)` : JSON.stringify(s);
  const lines = [`${r.method} ${shown(r.path + r.query, 400)}`];
  lines.push(
    `  cookie=${r.cookie} csrf=${r.csrf} origin=${r.origin}${r.secFetchSite ? ` sec-fetch-site=${r.secFetchSite}` : ''}`,
  );
  if (r.accept !== undefined) lines.push(`  Accept: ${shown(r.accept)}`);
  if (r.contentType !== undefined) lines.push(`  Content-Type: ${shown(r.contentType)}`);
  if (r.contentEncoding !== undefined) lines.push(`  Content-Encoding: ${shown(r.contentEncoding)}`);
  if (r.body !== undefined) lines.push(`  body: ${shown(r.body)}`);
  return lines.join('\n');
}

/** Makes fast-check print the counterexample as a request, not as a nested object. */
function printable(r: FuzzRequest): FuzzRequest {
  return Object.defineProperty(r, fc.toStringMethod, { value: () => `\n${describeRequest(r)}\n`, enumerable: false });
}

/* ------------------------------------------------------------------------------------------------ */
/* Arbitraries                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const enc = (s: string) => encodeURIComponent(s);

const assets = (() => {
  try {
    return readdirSync(path.join(defaultClientDist, 'assets')).slice(0, 20);
  } catch {
    return [];
  }
})();

const TYPES = [
  'experiment',
  'registered_model',
  'prompt',
  'dataset',
  'EXPERIMENT',
  'experiments',
  'logged_model',
  '__proto__',
  'constructor',
];
const IDS = [
  '{E_A}',
  '{E_F}',
  '{MODEL}',
  '{PROMPT}',
  '0',
  '1',
  '999999',
  '-1',
  '*',
  '%2A',
  '1e3',
  '0x1',
  '%201',
  '1%20',
];
const USERS = [
  enc(ALICE),
  enc(FRANK),
  enc(GRACE),
  ALICE,
  GRACE,
  'admin',
  'nobody%40example.org',
  '%20',
  'ALICE%40EXAMPLE.ORG',
  enc(` ${GRACE} `),
  '__proto__',
];
const WORDS = [
  'me',
  'password',
  'config',
  'resources',
  'collaborators',
  'login',
  'callback',
  'logout',
  'healthz',
  'readyz',
  'account',
  'sharing',
  'register',
  'index.html',
  'favicon.svg',
  'assets',
  'api',
  'auth',
  'signup',
  '',
  'ME',
  'Me',
  'me.json',
  'me;x=1',
  ...assets.map((a) => `assets/${a}`),
];

/** Well-formed segments: every `%` starts a valid UTF-8 percent-encoding (even if it decodes to `/`, `..` or NUL). */
const wellFormedSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }).map(enc) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map(pct) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;=:@[]{}|^`"<>\\'.split('')),
      minLength: 1,
      maxLength: 16,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '.',
      '..',
      '%2e',
      '%2E%2E',
      '.%2e',
      '%2e.',
      '...',
      '%2F',
      '%2f',
      'a%2Fb',
      '%2F..%2F..%2Fetc%2Fpasswd',
      '..%2F..%2F',
      '%5C',
      '..%5C..%5C',
      '%252F',
      '%25',
      '%00',
      'a%00b',
      '%0A',
      '%0D%0A',
      '%09',
      '%20',
      '+',
      '%2B',
      '%3F',
      '%23',
      '%3B',
      ';',
      '~',
      '%7E',
      '%C3%BC',
      'u%CC%88',
      '%F0%9F%98%80',
      '%EF%BB%BF',
      '%E2%80%AE',
      '%EF%BF%BF',
      '__proto__',
      'constructor',
      'prototype',
      'hasOwnProperty',
      'toString',
      'index.html%00.js',
      '.env',
      '.git%2Fconfig',
      'package.json',
    ),
  },
  {
    weight: 1,
    // Up to Node's 16 KB limit for the request head, and one beyond it (Node itself answers 431 there).
    arbitrary: fc
      .tuple(fc.constantFrom('a', enc('ü'), 'x%2F', '%F0%9F%98%80'), fc.constantFrom(200, 2_000, 9_000, 20_000))
      .map(([s, n]) => s.repeat(Math.max(1, Math.floor(n / s.length)))),
  },
);

/** Malformed percent-encodings and bytes that are not UTF-8: the server must answer 4xx, never 500. */
const malformedPiece = fc.oneof(
  fc.constantFrom(
    '%ZZ',
    '%E0%A4%A',
    '%',
    '%%',
    '%0',
    '%G1',
    'a%',
    '%u0041',
    '%C0%AE',
    '%C0%AF',
    '%C0%80',
    '%E0%80%AF',
    '%F0%80%80%AF',
    '%FF',
    '%FE%FF',
    '%80',
    '%ED%A0%80',
    '%ED%BF%BF',
    '%F4%90%80%80',
    '%E2%82',
    '%C3',
    '%C3%28',
    '%%32%65',
    '%2',
    '%%2F',
  ),
  fc.string({
    unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 6,
  }),
);
const malformedSegment: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', 'me', 'experiment', '1', 'a', enc(ALICE)),
    malformedPiece,
    fc.constantFrom('', 'x', '%20', '..'),
  )
  .map(([a, b, c]) => a + b + c);

function pathArb(area: Area, segment: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const pick = (pool: string[]) =>
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 2, arbitrary: segment });
  const type = pick(TYPES.slice(0, 3)).chain((t) =>
    fc.oneof({ weight: 4, arbitrary: fc.constant(t) }, fc.constantFrom(...TYPES), segment),
  );
  const id = pick(IDS);
  const user = pick(USERS);
  const word = pick(WORDS);
  const exact: Record<Area, string[]> = {
    account: [
      '/signup/api/me',
      '/signup/api/me/',
      '/signup/api/me/password',
      '/signup/api/me/password/',
      '/signup/api/config',
      '/signup/api//me',
      '/signup/api/ME',
      '/signup//api/me',
    ],
    sharing: [
      '/signup/api/resources',
      '/signup/api/experiment/{E_A}/collaborators',
      `/signup/api/experiment/{E_A}/collaborators/${enc(GRACE)}`,
      `/signup/api/experiment/{E_A}/collaborators/${enc(ALICE)}`,
      `/signup/api/experiment/{E_F}/collaborators/${enc(ALICE)}`,
      `/signup/api/experiment/{E_F}/collaborators/${enc(FRANK)}`,
      '/signup/api/registered_model/{MODEL}/collaborators',
      `/signup/api/registered_model/{MODEL}/collaborators/${enc(GRACE)}`,
      `/signup/api/prompt/{PROMPT}/collaborators/${enc(ALICE)}`,
    ],
    other: [
      '/signup/auth/login',
      '/signup/auth/callback',
      '/signup/auth/logout',
      '/healthz',
      '/readyz',
      '/signup/healthz',
      '/signup/readyz',
      '/signup/',
      '/signup',
      '/signup/index.html',
      '/signup/account',
      '/signup/sharing',
      '/signup/favicon.svg',
      '/',
      '/favicon.ico',
      '/signup/assets/',
      ...assets.map((a) => `/signup/assets/${a}`),
    ],
  };
  const templates: Record<Area, fc.Arbitrary<string>[]> = {
    account: [
      word.map((a) => `/signup/api/${a}`),
      word.map((a) => `/signup/api/me/${a}`),
      fc.tuple(word, word).map(([a, b]) => `/signup/api/me/${a}/${b}`),
    ],
    sharing: [
      fc.tuple(type, id).map(([t, i]) => `/signup/api/${t}/${i}/collaborators`),
      fc.tuple(type, id, user).map(([t, i, u]) => `/signup/api/${t}/${i}/collaborators/${u}`),
      fc.tuple(type, id, user, word).map(([t, i, u, w]) => `/signup/api/${t}/${i}/collaborators/${u}/${w}`),
      fc.tuple(type, id, word).map(([t, i, w]) => `/signup/api/${t}/${i}/${w}`),
      fc.tuple(type, word).map(([t, w]) => `/signup/api/${t}/${w}`),
    ],
    other: [
      word.map((a) => `/signup/auth/${a}`),
      word.map((a) => `/signup/${a}`),
      fc.tuple(word, word).map(([a, b]) => `/signup/${a}/${b}`),
      word.map((a) => `/signup/assets/${a}`),
      word.map((a) => `/${a}`),
      word.map((a) => `/${a}/signup/api/me`),
    ],
  };
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...exact[area]) },
    { weight: 5, arbitrary: fc.oneof(...templates[area]) },
  );
}

type Area = 'account' | 'sharing' | 'other';

const queryValue = fc.oneof(
  fc.constantFrom(
    'experiment',
    'registered_model',
    'prompt',
    'dataset',
    '',
    '/signup/account',
    '/signup/account?x=1',
    '//evil.example/',
    'https://evil.example/',
    '/\\evil.example',
    '%2F%2Fevil.example',
    'javascript:alert(1)',
    'access_denied',
    'forged',
    '__proto__',
    '%ZZ',
    '%E0%A4%A',
    '%00',
    '%C0%AE',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(enc),
  fc.string({ unit: fc.constantFrom(...'ab%ZZ09=&+;[]'.split('')), maxLength: 12 }),
);
const queryKey = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('type', 'returnTo', 'code', 'state', 'error', 'error_description', 'username', 'iss'),
  },
  fc.constantFrom(
    'type[]',
    'type[0]',
    'type[a]',
    '__proto__',
    '__proto__[type]',
    'constructor[prototype][x]',
    'returnTo[]',
    '',
    '%ZZ',
    'a.b',
  ),
);
const queryArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(queryKey, queryValue), { minLength: 1, maxLength: 4 })
      .map((pairs) => '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '?',
      '??',
      '?&&',
      '?type',
      '?type=experiment&type=prompt',
      `?${'a=1&'.repeat(2000)}`,
      '?returnTo=' + 'x'.repeat(9000),
    ),
  },
);

const goodPassword = fc.string({ unit: 'grapheme-ascii', minLength: 12, maxLength: 40 });
const jsonBody = fc.oneof(
  fc
    .oneof(goodPassword, fc.string({ maxLength: 14 }), fc.string({ unit: 'grapheme', minLength: 12, maxLength: 30 }))
    .map((password) => JSON.stringify({ password })),
  fc
    .constantFrom('READ', 'USE', 'EDIT', 'MANAGE', 'OWNER', 'read', 'NO_PERMISSIONS', '')
    .map((permission) => JSON.stringify({ permission })),
  fc.constantFrom(
    // wrong types and shapes
    '1',
    'true',
    'null',
    '"password"',
    '[]',
    '{}',
    '[{"password":"abcdefghijklmn"}]',
    '{"password":123456789012}',
    '{"password":null}',
    '{"password":["abcdefghijklmnop"]}',
    '{"password":{"$ne":""}}',
    '{"permission":["READ"]}',
    '{"permission":{"toString":"READ"}}',
    '{"permission":null}',
    '{"permission":1}',
    '{"password":"abcdefghijklmnop","permission":"MANAGE","is_admin":true,"username":"admin"}',
    // prototype keys
    '{"__proto__":{"is_admin":true},"password":"proto-password-123456"}',
    '{"constructor":{"prototype":{"polluted":true}},"permission":"MANAGE"}',
    '{"__proto__":{"permission":"MANAGE"}}',
    '{"__proto__":{"password":"proto-password-654321"}}',
    '{"password":"x","__proto__":null}',
    '{"__proto__":[]}',
    '{"password":"dup-password-1111","password":"dup-password-2222"}',
    // huge or deep (over and under the 16 KB limit)
    JSON.stringify({ password: 'a'.repeat(20_000) }),
    JSON.stringify({ password: 'b'.repeat(15_000) }),
    JSON.stringify({ permission: 'READ'.repeat(3000) }),
    '['.repeat(7000) + ']'.repeat(7000),
    '{"a":'.repeat(2500) + '1' + '}'.repeat(2500),
    JSON.stringify({ password: 'ü'.repeat(300) }),
  ),
  fc.json({ maxDepth: 3 }),
);
const otherBody = fc.oneof(
  fc.constantFrom(
    // not JSON
    '{',
    '{"password":',
    "{'password':'x'}",
    'nul',
    '[1,]',
    '\u0000',
    '{"a":1}}',
    '\ufeff{"password":"bom-password-1234"}',
    'NaN',
    '-',
    '"unterminated',
    '{"password":"\\ud800"}',
    '{"password":"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000"}',
    // forms and multipart
    'password=form-password-12345&_csrf={CSRF}',
    'permission=READ&_csrf={CSRF}',
    '_csrf={CSRF}',
    '_csrf={CSRF}&_csrf=x',
    '_csrf[]={CSRF}',
    '--xyz\r\nContent-Disposition: form-data; name="password"\r\n\r\nmultipart-password-1\r\n--xyz--\r\n',
  ),
  fc.string({ maxLength: 60 }),
);
const bodyAndType: fc.Arbitrary<{ body: string | undefined; contentType: string | undefined }> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ body: fc.constant(undefined), contentType: fc.constantFrom(undefined, 'application/json') }),
  },
  { weight: 4, arbitrary: fc.record({ body: jsonBody, contentType: fc.constant('application/json') }) },
  {
    weight: 3,
    arbitrary: fc.record({
      body: fc.oneof(jsonBody, otherBody),
      contentType: fc.constantFrom(
        undefined,
        '',
        'application/json; charset=utf-8',
        'application/json; charset=UTF-8',
        'APPLICATION/JSON',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/json; charset="',
        'application/json;;',
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=iso-8859-1',
        'text/plain',
        'text/plain; charset=utf-8',
        'multipart/form-data; boundary=xyz',
        'multipart/form-data',
        'application/vnd.api+json',
        'application/merge-patch+json',
        'application/csp-report',
        ';',
        '*/*',
        'json',
      ),
    }),
  },
);

/** A real route with its method (so that requests get past routing), its path segments still fuzzed. */
function aimedArb(area: Area, segment: fc.Arbitrary<string>): fc.Arbitrary<{ method: string; path: string }> {
  const pick = (pool: string[]) =>
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: segment });
  const resource = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom('experiment/{E_A}', 'experiment/{E_F}', 'registered_model/{MODEL}', 'prompt/{PROMPT}'),
    },
    fc.tuple(pick(TYPES.slice(0, 3)), pick(IDS)).map(([t, i]) => `${t}/${i}`),
  );
  const user = pick(USERS);
  const route = (method: string, p: fc.Arbitrary<string> | string) =>
    fc.record({ method: fc.constant(method), path: typeof p === 'string' ? fc.constant(p) : p });
  const routes: Record<Area, fc.Arbitrary<{ method: string; path: string }>[]> = {
    account: [
      route('GET', '/signup/api/me'),
      route('POST', '/signup/api/me'),
      route('PUT', '/signup/api/me/password'),
      route('PUT', '/signup/api/me/password'),
      route('DELETE', '/signup/api/me'),
      route('GET', '/signup/api/config'),
    ],
    sharing: [
      route('GET', '/signup/api/resources'),
      route(
        'GET',
        resource.map((r) => `/signup/api/${r}/collaborators`),
      ),
      route(
        'GET',
        fc.tuple(resource, user).map(([r, u]) => `/signup/api/${r}/collaborators/${u}`),
      ),
      route(
        'PUT',
        fc.tuple(resource, user).map(([r, u]) => `/signup/api/${r}/collaborators/${u}`),
      ),
      route(
        'PUT',
        fc.tuple(resource, user).map(([r, u]) => `/signup/api/${r}/collaborators/${u}`),
      ),
      route(
        'DELETE',
        fc.tuple(resource, user).map(([r, u]) => `/signup/api/${r}/collaborators/${u}`),
      ),
      // Alice's own experiment with a registered person: the changes she may make.
      route(
        'PUT',
        fc.constantFrom(enc(FRANK), enc(GRACE), GRACE).map((u) => `/signup/api/experiment/{E_A}/collaborators/${u}`),
      ),
      route(
        'DELETE',
        fc.constantFrom(enc(FRANK), enc(GRACE)).map((u) => `/signup/api/experiment/{E_A}/collaborators/${u}`),
      ),
    ],
    other: [
      route('GET', '/signup/auth/login'),
      route('GET', '/signup/auth/callback'),
      route('POST', '/signup/auth/logout'),
      route('GET', '/readyz'),
      route('GET', '/signup/'),
    ],
  };
  return fc.oneof(...routes[area]);
}

/** The body each area's routes want, well formed, so that more requests get past validation. */
const aimedBody = {
  account: fc.record({
    body: goodPassword.map((password) => JSON.stringify({ password })),
    contentType: fc.constant('application/json'),
  }),
  sharing: fc.record({
    body: fc.constantFrom('READ', 'USE', 'EDIT', 'MANAGE').map((permission) => JSON.stringify({ permission })),
    contentType: fc.constant('application/json'),
  }),
};

function requestArb(area: Area, segment: fc.Arbitrary<string>, signedIn: boolean): fc.Arbitrary<FuzzRequest> {
  const anyMethod = fc.oneof(
    { weight: 3, arbitrary: fc.constant('GET') },
    { weight: 2, arbitrary: fc.constantFrom('POST', 'PUT', 'DELETE') },
    { weight: 1, arbitrary: fc.constantFrom('PATCH', 'OPTIONS', 'HEAD') },
  );
  return fc
    .record({
      route: fc.oneof(
        { weight: 1, arbitrary: aimedArb(area, segment) },
        { weight: 1, arbitrary: fc.record({ method: anyMethod, path: pathArb(area, segment) }) },
      ),
      query:
        area === 'sharing'
          ? fc.oneof(queryArb, fc.constantFrom('?type=experiment', '?type=registered_model', '?type=prompt'))
          : queryArb,
      accept: fc.constantFrom(
        undefined,
        'application/json',
        'application/json',
        'text/html',
        '*/*',
        'text/html,application/json;q=0.9',
        'application/xml',
        'image/png',
        ';;;',
        'application/json, text/html',
      ),
      bodyAndType:
        area === 'other'
          ? bodyAndType
          : fc.oneof({ weight: 3, arbitrary: bodyAndType }, { weight: 2, arbitrary: aimedBody[area] }),
      contentEncoding: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        fc.constantFrom('identity', 'gzip', 'br', 'deflate', 'x-unknown', 'gzip, gzip'),
      ),
      origin: signedIn
        ? fc.oneof(
            { weight: 10, arbitrary: fc.constant<OriginKind>('own') },
            fc.constantFrom<OriginKind>('foreign', 'null', 'none', 'own-slash', 'no-port', 'https-own'),
          )
        : fc.constantFrom<OriginKind>('own', 'foreign', 'null', 'none'),
      secFetchSite: fc.oneof(
        { weight: 8, arbitrary: fc.constant(undefined) },
        fc.constantFrom('same-origin', 'cross-site', 'same-site', 'none'),
      ),
      csrf: signedIn
        ? fc.oneof(
            { weight: 8, arbitrary: fc.constant<CsrfKind>('right') },
            fc.constantFrom<CsrfKind>('wrong', 'other-session', 'missing', 'empty', 'form-field'),
          )
        : fc.constantFrom<CsrfKind>('wrong', 'other-session', 'missing', 'empty', 'form-field'),
      cookie: signedIn
        ? fc.oneof(
            { weight: 8, arbitrary: fc.constant<CookieKind>('session') },
            fc.constantFrom<CookieKind>('tampered', 'garbage', 'none'),
          )
        : fc.constantFrom<CookieKind>('none', 'tampered', 'garbage'),
    })
    .map(({ bodyAndType: bt, route, ...rest }) =>
      printable({
        ...rest,
        method: route.method,
        path: route.path,
        body: route.method === 'HEAD' ? undefined : bt.body,
        contentType: bt.contentType,
      }),
    );
}

/* ------------------------------------------------------------------------------------------------ */
/* Sending and checking                                                                               */
/* ------------------------------------------------------------------------------------------------ */

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: target, headers, agent: false, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const STACK_TRACE = [
  /(?:^|\n|<br>|\\n)\s*(?:&nbsp;\s*)*at\s+(?:async\s+)?[\w$.<>[\]]+\s+\(?[^()\s]*:\d+:\d+\)?/,
  /\bnode:internal\b/,
  /node_modules[\\/]/,
  /\/(?:work|home|usr|tmp|app)\/[\w./-]+\.(?:[cm]?js|ts):\d+/,
  /\b(?:TypeError|RangeError|ReferenceError|URIError|SyntaxError|AssertionError|ZodError)\b[:\s]/,
];

/** The problems with one answer, as sentences (empty when it is fine). */
function problemsOf(r: FuzzRequest, sentPath: string, res: RawAnswer): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`answered ${res.status} (a 5xx: everything is up, so this must not happen)`);
  const type = String(res.headers['content-type'] ?? '');
  const isJson = /[/+]json\b/i.test(type);
  const isText = isJson || /^text\/(?:html|plain)/i.test(type) || type === '';
  if (isJson && res.body !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      problems.push('the body is labelled JSON but does not parse');
    }
    if (parsed !== undefined && res.status >= 400) {
      const shapeProblem = errorShapeProblem(parsed);
      if (shapeProblem)
        problems.push(`the JSON error body does not match {"error":{"code","message"}}: ${shapeProblem}`);
    }
  }
  if (res.status >= 400 && r.method !== 'HEAD' && res.body !== '' && sentPath.startsWith('/signup/api/') && !isJson) {
    problems.push(`an API error answer is not JSON (Content-Type: ${type || 'none'})`);
  }
  if (isText) {
    const hit = STACK_TRACE.find((re) => re.test(res.body));
    if (hit) problems.push(`the body shows internals (matched ${hit}): ${JSON.stringify(res.body.match(hit)![0])}`);
  }
  return problems;
}

function errorShapeProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'not an object';
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys ${JSON.stringify(keys)}`;
  const error = (body as { error: unknown }).error as Record<string, unknown>;
  if (!error || typeof error !== 'object' || Array.isArray(error)) return '"error" is not an object';
  const extra = Object.keys(error).filter((k) => !['code', 'message', 'fields'].includes(k));
  if (extra.length) return `unexpected keys in "error": ${JSON.stringify(extra)}`;
  if (typeof error.code !== 'string' || !SNAKE.test(error.code))
    return `code ${JSON.stringify(error.code)} is not snake_case`;
  if (typeof error.message !== 'string' || error.message.trim() === '') return 'message is not a non-empty string';
  if (error.fields !== undefined) {
    if (!Array.isArray(error.fields)) return '"fields" is not an array';
    for (const f of error.fields as unknown[]) {
      const field = f as Record<string, unknown>;
      if (!field || typeof field.field !== 'string' || typeof field.message !== 'string')
        return `bad entry in "fields": ${JSON.stringify(f)}`;
    }
  }
  return undefined;
}

/* ------------------------------------------------------------------------------------------------ */
/* MLflow snapshots                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

interface UserState {
  id: number;
  is_admin: boolean;
  /** `type|resource|permission|direct-or-role-name`, sorted (direct-grant role names carry the user id, so they are folded). */
  grants: Array<{ key: string; type: string; resource: string }>;
}
type Snapshot = Map<string, UserState>;

/* ------------------------------------------------------------------------------------------------ */
/* The test                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

let stack: Stack;
let alice: ApiSession;
let frank: ApiSession;
let experimentOfFrank: string;
/** Every experiment alice created: grants on these may change legitimately. */
const aliceExperiments = new Set<string>();
let currentAliceExperiment: string;
let before: Snapshot;
let frankSecret: unknown;
let graceSecret: unknown;

const admin = (method: string, p: string, body?: unknown) =>
  mlflowAs(stack.mlflow, stack.mlflow.adminUsername, stack.mlflow.adminPassword, method, p, body);

async function snapshot(): Promise<Snapshot> {
  const list = await admin('GET', '/api/2.0/mlflow/users/list');
  if (list.status !== 200) throw new Error(`users/list answered ${list.status}: ${JSON.stringify(list.body)}`);
  const out: Snapshot = new Map();
  for (const u of list.body.users as Array<{ id: number; username: string; is_admin: boolean }>) {
    const perms = await admin(
      'GET',
      `/api/3.0/mlflow/users/permissions/list?username=${encodeURIComponent(u.username)}`,
    );
    if (perms.status !== 200)
      throw new Error(`permissions/list for ${u.username} answered ${perms.status}: ${JSON.stringify(perms.body)}`);
    const grants = (perms.body.permissions as Array<Record<string, string>>)
      .map((p) => {
        const via = p.role_name === undefined || /^__user_\d+__$/.test(p.role_name) ? 'direct' : `role:${p.role_name}`;
        return {
          key: `${p.resource_type}|${p.resource_pattern}|${p.permission}|${via}`,
          type: p.resource_type!,
          resource: p.resource_pattern!,
        };
      })
      .sort((a, b) => a.key.localeCompare(b.key));
    out.set(u.username, { id: u.id, is_admin: u.is_admin, grants });
  }
  return out;
}

const isAliceResource = (g: { type: string; resource: string }) =>
  g.type === 'experiment' && aliceExperiments.has(g.resource);

/** Differences between two snapshots that alice's own legitimate actions cannot explain. */
function unexplainedChanges(a: Snapshot, b: Snapshot, allowAlice: boolean): string[] {
  const out: string[] = [];
  for (const username of new Set([...a.keys(), ...b.keys()])) {
    const was = a.get(username);
    const now = b.get(username);
    if (allowAlice && username === ALICE) {
      if (now?.is_admin) out.push(`${username} became an MLflow admin`);
      const held = new Set((was?.grants ?? []).map((g) => g.key));
      for (const g of now?.grants ?? []) {
        if (!isAliceResource(g) && !held.has(g.key)) out.push(`${username} gained ${g.key}`);
      }
      continue;
    }
    if (!was) {
      out.push(`user ${username} appeared`);
      continue;
    }
    if (!now) {
      out.push(`user ${username} disappeared`);
      continue;
    }
    if (was.id !== now.id || was.is_admin !== now.is_admin)
      out.push(`${username}: id/is_admin ${was.id}/${was.is_admin} → ${now.id}/${now.is_admin}`);
    const keep = (g: { type: string; resource: string }) => !allowAlice || !isAliceResource(g);
    const x = was.grants.filter(keep).map((g) => g.key);
    const y = now.grants.filter(keep).map((g) => g.key);
    for (const k of x) if (!y.includes(k)) out.push(`${username} lost ${k}`);
    for (const k of y) if (!x.includes(k)) out.push(`${username} gained ${k}`);
  }
  return out;
}

async function createAliceExperiment(): Promise<void> {
  // Alice's current password is in Vault (the fuzzing may have changed it); if MLflow refuses it (say, a
  // non-ASCII one in a Basic header), she sets a known one through the BFF first.
  let password = stack.papi!.secretFor('alice-sub', TEST_VO, SECRET_PATH)?.password ?? ALICE_PASSWORD;
  if ((await signInStatus(stack.mlflow, ALICE, password)) !== 200) {
    const reset = await alice.changePassword(ALICE_PASSWORD);
    if (reset.status !== 204)
      throw new Error(`repair: resetting alice's password answered ${reset.status}: ${JSON.stringify(reset.body)}`);
    password = ALICE_PASSWORD;
  }
  const res = await mlflowAs(stack.mlflow, ALICE, password, 'POST', '/api/2.0/mlflow/experiments/create', {
    name: `alice fuzz exp ${aliceExperiments.size + 1}`,
  });
  if (res.status !== 200)
    throw new Error(`alice could not create an experiment (${res.status}): ${JSON.stringify(res.body)}`);
  currentAliceExperiment = String(res.body.experiment_id);
  aliceExperiments.add(currentAliceExperiment);
}

/** After a request that may have changed alice's state: signed in, registered, managing an experiment. */
async function repairAlice(): Promise<void> {
  let me = await alice.me();
  if (me.status === 401) {
    alice = await stack.signIn('alice');
    me = await alice.me();
  }
  if (me.status !== 200) throw new Error(`repair: GET /api/me answered ${me.status}: ${JSON.stringify(me.body)}`);
  if (!me.body.account) {
    const reg = await alice.register(ALICE_PASSWORD);
    if (reg.status !== 201)
      throw new Error(`repair: registering alice answered ${reg.status}: ${JSON.stringify(reg.body)}`);
  }
  const mine = await alice.call('GET', '/api/resources?type=experiment');
  const manages =
    mine.status === 200 &&
    (mine.body.resources as Array<{ id: string; can_manage: boolean }>).some(
      (r) => r.can_manage && aliceExperiments.has(r.id),
    );
  if (!manages) await createAliceExperiment();
  else
    currentAliceExperiment = (mine.body.resources as Array<{ id: string; can_manage: boolean }>).find(
      (r) => r.can_manage && aliceExperiments.has(r.id),
    )!.id;
}

async function send(r: FuzzRequest, signedIn: boolean): Promise<{ sentPath: string; res: RawAnswer }> {
  const fill = (s: string) =>
    s
      .replaceAll('{E_A}', currentAliceExperiment)
      .replaceAll('{E_F}', experimentOfFrank)
      .replaceAll('{MODEL}', enc(MODEL))
      .replaceAll('{PROMPT}', enc(PROMPT));
  const sentPath = fill(r.path);
  const headers: Record<string, string> = {};
  if (r.accept !== undefined) headers.Accept = r.accept;
  if (r.contentType !== undefined) headers['Content-Type'] = r.contentType;
  if (r.contentEncoding !== undefined) headers['Content-Encoding'] = r.contentEncoding;
  if (r.secFetchSite !== undefined) headers['Sec-Fetch-Site'] = r.secFetchSite;
  const port = new URL(stack.origin).port;
  const origins: Record<OriginKind, string | undefined> = {
    own: stack.origin,
    foreign: 'https://evil.example',
    null: 'null',
    none: undefined,
    'own-slash': `${stack.origin}/`,
    'no-port': 'http://127.0.0.1',
    'https-own': `https://127.0.0.1:${port}`,
  };
  const origin = origins[r.origin];
  if (origin !== undefined) headers.Origin = origin;
  const rightToken = alice.csrfToken ?? '';
  const tokens: Record<CsrfKind, string | undefined> = {
    right: signedIn ? rightToken : 'anonymous-has-no-token',
    wrong: 'not-the-csrf-token-0123456789abcdef',
    'other-session': signedIn ? frank.csrfToken : rightToken,
    missing: undefined,
    empty: '',
    'form-field': undefined,
  };
  const token = tokens[r.csrf];
  if (token !== undefined) headers['X-CSRF-Token'] = token;
  const sessionCookie = (await alice.agent.jar.getCookieString(`${stack.baseUrl}/`)) || '';
  const cookies: Record<CookieKind, string | undefined> = {
    session: sessionCookie,
    none: undefined,
    tampered: sessionCookie
      ? sessionCookie.replace(/(mlflow_signup\.sid=s%3A)([^.;]+)/, '$1tampered-session-id')
      : 'mlflow_signup.sid=s%3Aforged.sig',
    garbage: 'mlflow_signup.sid=%E0%A4%A; mlflow_signup.sid=s:; =; \u00ff\u00fe=1',
  };
  const cookie = cookies[r.cookie];
  if (cookie) headers.Cookie = cookie;
  let body: Buffer | undefined;
  if (r.body !== undefined) {
    body = Buffer.from(
      r.body.replaceAll(
        '{CSRF}',
        r.csrf === 'form-field' && signedIn ? encodeURIComponent(rightToken) : 'wrong-form-token',
      ),
      'utf8',
    );
    headers['Content-Length'] = String(body.length);
  }
  const target = sentPath + r.query;
  try {
    return { sentPath, res: await rawRequest(Number(port), r.method, target, headers, body) };
  } catch (err) {
    // Over Node's 16 KB limit for the request head, Node's HTTP parser answers 431 and closes the socket,
    // often before the request is fully written: the client then sees a reset instead of the 431.
    const head = target.length + Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    const code = (err as NodeJS.ErrnoException).code;
    if (head > 16 * 1024 && (code === 'ECONNRESET' || code === 'EPIPE'))
      return { sentPath, res: { status: 431, headers: {}, body: '' } };
    throw err;
  }
}

function runProperty(name: string, arb: fc.Arbitrary<FuzzRequest>, numRuns: number, signedIn: boolean) {
  let sent = 0;
  const statuses = new Map<string, number>();
  return async () => {
    const property = fc.asyncProperty(arb, async (r) => {
      let answer: { sentPath: string; res: RawAnswer };
      try {
        answer = await send(r, signedIn);
      } catch (err) {
        throw new Error(`no HTTP answer for\n${describeRequest(r)}\n→ ${(err as Error).message}`, { cause: err });
      }
      sent++;
      const code = /json/.test(String(answer.res.headers['content-type']))
        ? /"code":"(\w+)"/.exec(answer.res.body)?.[1]
        : undefined;
      const label = `${answer.res.status}${code ? ` ${code}` : ''}`;
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
      if (process.env.FUZZ_DEBUG) {
        console.log(
          `${describeRequest(r)}\n→ ${answer.res.status} ${answer.res.headers['content-type'] ?? ''} ${JSON.stringify(answer.res.body.slice(0, 200))}`,
        );
      }
      const problems = problemsOf(r, answer.sentPath, answer.res);
      if (
        signedIn &&
        (answer.res.status === 401 ||
          (r.method !== 'GET' && r.method !== 'HEAD' && r.method !== 'OPTIONS' && answer.res.status < 400))
      ) {
        await repairAlice();
      }
      if (problems.length) {
        const shown =
          answer.res.body.length > 600
            ? `${answer.res.body.slice(0, 600)}… (${answer.res.body.length} chars)`
            : answer.res.body;
        throw new Error(
          `${problems.join('\n')}\nrequest (as sent, path ${JSON.stringify(answer.sentPath.slice(0, 300))}):\n${describeRequest(r)}\n` +
            `answer: ${answer.res.status} Content-Type: ${answer.res.headers['content-type'] ?? 'none'}\n${shown}`,
        );
      }
    });
    try {
      await fc.assert(property, {
        numRuns,
        seed: SEED,
        interruptAfterTimeLimit: 100_000,
        markInterruptAsFailure: false,
      });
    } finally {
      console.log(
        `${name}: ${sent} requests; answers: ${[...statuses]
          .sort((a, b) => a[0].localeCompare(b[0]))
          .map(([k, n]) => `${k} ×${n}`)
          .join(', ')}`,
      );
    }
  };
}

beforeAll(async () => {
  stack = await startStack({ rule: 'realm_roles', vault: true });
  frank = await stack.signIn('frank');
  const grace = await stack.signIn('grace');
  alice = await stack.signIn('alice');
  expect((await frank.register(FRANK_PASSWORD)).status).toBe(201);
  expect((await grace.register(GRACE_PASSWORD)).status).toBe(201);
  expect((await alice.register(ALICE_PASSWORD)).status).toBe(201);
  const asFrank = (method: string, p: string, body?: unknown) =>
    mlflowAs(stack.mlflow, FRANK, FRANK_PASSWORD, method, p, body);
  const exp = await asFrank('POST', '/api/2.0/mlflow/experiments/create', { name: 'frank exp ü/1' });
  expect(exp.status).toBe(200);
  experimentOfFrank = String(exp.body.experiment_id);
  expect((await asFrank('POST', '/api/2.0/mlflow/registered-models/create', { name: MODEL })).status).toBe(200);
  expect(
    (
      await asFrank('POST', '/api/2.0/mlflow/registered-models/create', {
        name: PROMPT,
        tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
      })
    ).status,
  ).toBe(200);
  // Alice may read frank's experiment (so she sees it, and is refused changes on it); grace may read the model.
  expect(
    (
      await frank.call('PUT', `/api/experiment/${experimentOfFrank}/collaborators/${enc(ALICE)}`, {
        permission: 'READ',
      })
    ).status,
  ).toBe(201);
  expect(
    (await frank.call('PUT', `/api/registered_model/${enc(MODEL)}/collaborators/${enc(GRACE)}`, { permission: 'READ' }))
      .status,
  ).toBe(201);
  await createAliceExperiment();
  before = await snapshot();
  frankSecret = stack.papi!.secretFor('frank-sub', TEST_VO, SECRET_PATH);
  graceSecret = stack.papi!.secretFor('grace-sub', TEST_VO, SECRET_PATH);
  expect(frankSecret).toEqual({ username: FRANK, password: FRANK_PASSWORD });
});
afterAll(async () => {
  await stack?.stop();
});

describe('when anonymous requests of every kind arrive', () => {
  it(
    'then well-formed paths on every route never answer 5xx, errors are the JSON shape, and no body leaks internals',
    runProperty(
      'anonymous, well-formed',
      fc.oneof(...(['account', 'sharing', 'other'] as const).map((a) => requestArb(a, wellFormedSegment, false))),
      runs(110),
      false,
    ),
  );

  it(
    'then malformed percent-encodings and non-UTF-8 bytes in paths answer 4xx, never 5xx',
    runProperty(
      'anonymous, malformed',
      fc.oneof(...(['account', 'sharing', 'other'] as const).map((a) => requestArb(a, malformedSegment, false))),
      runs(40),
      false,
    ),
  );

  it('then MLflow is exactly as before', async () => {
    expect(unexplainedChanges(before, await snapshot(), false)).toEqual([]);
  });
});

describe('when a signed-in, registered person sends requests of every kind (with a valid CSRF token part of the time)', () => {
  it(
    'then the account routes never answer 5xx, errors are the JSON shape, and no body leaks internals',
    runProperty('signed in, account', requestArb('account', wellFormedSegment, true), runs(70), true),
  );

  it(
    'then the sharing routes never answer 5xx, errors are the JSON shape, and no body leaks internals',
    runProperty('signed in, sharing', requestArb('sharing', wellFormedSegment, true), runs(100), true),
  );

  it(
    'then auth, health, SPA and asset routes never answer 5xx, errors are the JSON shape, and no body leaks internals',
    runProperty('signed in, auth/SPA/health', requestArb('other', wellFormedSegment, true), runs(60), true),
  );

  it(
    'then malformed percent-encodings and non-UTF-8 bytes in paths answer 4xx, never 5xx',
    runProperty(
      'signed in, malformed',
      fc.oneof(...(['account', 'sharing', 'other'] as const).map((a) => requestArb(a, malformedSegment, true))),
      runs(40),
      true,
    ),
  );

  it('then MLflow changed only where alice may change it: her own account and the grants on her own experiments', async () => {
    const after = await snapshot();
    expect(unexplainedChanges(before, after, true)).toEqual([]);
    expect(await signInStatus(stack.mlflow, FRANK, FRANK_PASSWORD)).toBe(200);
    expect(await signInStatus(stack.mlflow, GRACE, GRACE_PASSWORD)).toBe(200);
    expect(stack.papi!.secretFor('frank-sub', TEST_VO, SECRET_PATH)).toEqual(frankSecret);
    expect(stack.papi!.secretFor('grace-sub', TEST_VO, SECRET_PATH)).toEqual(graceSecret);
  });
});
