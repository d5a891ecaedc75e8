/**
 * deploy/compose*.yml as the tests see them: the variables they read, a complete env file made from the
 * samples, and `docker-compose config` (which needs no Docker engine) to render a combination.
 */
import { CONFIG_VARIABLES } from '../../server/src/config.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { baseEnv, deployDir, repoRoot } from './scripts.js';

/**
 * The sign-up service's variables, straight from its config schema, less the two the image fixes itself
 * (NODE_ENV, and CLIENT_DIST_DIR: the built SPA's place inside the image).
 */
export const BFF_VARIABLES = CONFIG_VARIABLES.filter((v) => v !== 'NODE_ENV' && v !== 'CLIENT_DIST_DIR');
/** Set by compose itself for the signup container, whatever .env says. */
export const SET_BY_COMPOSE = ['MLFLOW_HOSTNAME', 'TRUST_PROXY', 'SESSION_DATABASE_URL', 'DATABASE_URL'];

const composeFiles = {
  base: path.join(deployDir, 'compose.yml'),
  override: path.join(deployDir, 'compose.override.yml'),
  prod: path.join(deployDir, 'compose.prod.yml'),
  signupHost: path.join(deployDir, 'compose.signup-host.yml'),
};
/**
 * Every combination deploy/README.md documents. The default layout serves signup under BASE_PATH on DOMAIN;
 * the `*-signup-host` ones serve it on SIGNUP_HOST (its own origin), compose.signup-host.yml coming last.
 */
export const combinations: Record<string, string[]> = {
  base: [composeFiles.base],
  development: [composeFiles.base, composeFiles.override],
  production: [composeFiles.base, composeFiles.prod],
  'development-signup-host': [composeFiles.base, composeFiles.override, composeFiles.signupHost],
  'production-signup-host': [composeFiles.base, composeFiles.prod, composeFiles.signupHost],
};

/** KEY=VALUE lines of a dotenv-style sample, in order, with whether a comment line precedes each block. */
export function parseSample(file: string): { key: string; value: string; commented: boolean }[] {
  const entries: { key: string; value: string; commented: boolean }[] = [];
  let commentAbove = false;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '') {
      commentAbove = false;
      continue;
    }
    if (line.startsWith('#')) {
      commentAbove = true;
      continue;
    }
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`${path.relative(repoRoot, file)}: not KEY=VALUE: ${line}`);
    entries.push({ key: m[1]!, value: m[2]!, commented: commentAbove });
    // A block of variables under one comment shares it.
  }
  return entries;
}

export const stackSample = path.join(deployDir, 'env.stack.sample');
export const rootSample = path.join(repoRoot, '.env.sample');
export const samples = [rootSample, stackSample].filter((f) => existsSync(f));

/** Every `${VAR…}` compose interpolates (not `$${…}`, which is the container's own). */
export function composeVariables(): { all: Set<string>; required: Map<string, Set<string>> } {
  const all = new Set<string>();
  const required = new Map<string, Set<string>>();
  for (const [name, file] of Object.entries(composeFiles)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(:?[?-])?/g)) {
      all.add(m[1]!);
      if (m[2] === ':?') required.set(m[1]!, (required.get(m[1]!) ?? new Set()).add(name));
    }
  }
  return { all, required };
}

/**
 * A complete env file: every value of the samples, with the secrets (empty in the samples) and the few
 * values the tests assert on set to known test values.
 */
export function fullEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const file of samples) for (const { key, value } of parseSample(file)) env[key] = value;
  const fill: Record<string, string> = {
    DOMAIN: 'mlflow.example.org',
    LETSENCRYPT_EMAIL: 'ops@example.org',
    MLFLOW_USERNAME: 'admin',
    MLFLOW_PASSWORD: 'a-long-admin-password',
    MLFLOW_FLASK_SERVER_SECRET_KEY: 'flask-secret-0123456789abcdef',
    OIDC_AUTHORITY: 'https://aai.example.org/auth/realms/test',
    OIDC_CLIENT_ID: 'mlflow-signup',
    SESSION_SECRET: 'session-secret-0123456789abcdef0123456789',
    DATABASE_PASSWORD: 'superuser-password',
    MLFLOW_DB_PASSWORD: 'tracking-password',
    MLFLOW_AUTH_DB_PASSWORD: 'auth-password',
    SIGNUP_DB_PASSWORD: 'signup-password-0123',
    BASE_PATH: '/signup',
    PORT: '3000',
    SIGNUP_HOST: 'account.example.org',
  };
  Object.assign(env, fill);
  return env;
}

function composeCommand(): string[] {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  throw new Error('Neither docker-compose nor the docker compose plugin is installed (apt-get install -y docker-compose).');
}

/** `docker-compose -f … --env-file <env written to a temp file> config`, from the repository root. */
export async function composeConfig(files: string[], env: Record<string, string>): Promise<{ status: number | null; output: string; config: any }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'compose-config-'));
  try {
    const envFile = path.join(dir, 'env');
    await writeFile(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const [cmd, ...pre] = composeCommand();
    // A clean environment: compose would let shell variables override the env file.
    const r = spawnSync(cmd!, [...pre, ...files.flatMap((f) => ['-f', path.relative(repoRoot, f)]), '--env-file', envFile, 'config'], {
      cwd: repoRoot,
      env: baseEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    return { status: r.status, output, config: r.status === 0 ? parseYaml(r.stdout) : undefined };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rendered: Record<string, any> = {};
/** The rendered configuration of a combination (see {@link combinations}) with {@link fullEnv}. */
export async function render(combination: string): Promise<any> {
  if (!rendered[combination]) {
    const r = await composeConfig(combinations[combination]!, fullEnv());
    if (r.status !== 0) throw new Error(`docker-compose config (${combination}) failed:\n${r.output}`);
    rendered[combination] = r.config;
  }
  return rendered[combination];
}

/**
 * `config` writes a literal `$` as `$$` (its output is a compose file again); the container and Traefik see
 * one `$`, e.g. in a redirect's `${1}`.
 */
const unescape = (v: string): string => v.replaceAll('$$', '$');
export const envOf = (service: any): Record<string, string> => {
  const e = service.environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv: string) => [kv.split('=')[0], unescape(kv.split('=').slice(1).join('='))]));
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : unescape(String(v as string | number | boolean))]));
};
export const labelsOf = (service: any): Record<string, string> => {
  const l = service.labels ?? {};
  if (Array.isArray(l)) return Object.fromEntries(l.map((kv: string) => [kv.split('=')[0], unescape(kv.split('=').slice(1).join('='))]));
  return Object.fromEntries(Object.entries(l).map(([k, v]) => [k, unescape(String(v))]));
};
export const portsOf = (service: any): string[] =>
  (service.ports ?? []).map((p: any) =>
    (typeof p === 'string' ? p : `${p.host_ip ? `${p.host_ip}:` : ''}${p.published}:${p.target}`).replace(/\/tcp$/, ''),
  );
/** `source:target[:ro]` (docker-compose v1 writes short syntax with an explicit `:rw`, v2 long syntax). */
export const volumesOf = (service: any): string[] =>
  (service.volumes ?? []).map((v: any) => (typeof v === 'string' ? v.replace(/:rw$/, '') : `${v.source}:${v.target}${v.read_only ? ':ro' : ''}`));

