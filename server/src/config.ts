/**
 * The service's whole configuration: one schema for every environment variable, parsed once at start.
 *
 * No other module reads `process.env`; everything receives the frozen {@link Config}. Variable names of the
 * seed (Next.js) deployment are kept so that an existing `.env` keeps working.
 */
import path from 'node:path';
import { z } from 'zod';
import { parseGroupPatterns } from './groups/patterns.js';

const MIN_PASSWORD_LENGTH = 12;

/** Splits "a, b c" (commas and/or spaces) into ["a", "b", "c"]. */
function splitList(value: string | undefined, separators: RegExp = /[\s,]+/): string[] {
  return (value ?? '')
    .split(separators)
    .map((v) => v.trim())
    .filter(Boolean);
}

const bool = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false, not "${v}".` });
      return z.NEVER;
    });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const httpUrl = (name: string, what: string) =>
  z
    .string({ error: `${name} is required: ${what}.` })
    .trim()
    .min(1, `${name} is required: ${what}.`)
    .refine((v) => /^https?:\/\/[^/]/i.test(v) && URL.canParse(v), `${name} must be an http(s) URL (${what}).`)
    .transform((v) => v.replace(/\/+$/, ''));

const optionalHttpUrl = (name: string, what: string) =>
  optionalText.refine(
    (v) => v === undefined || (/^https?:\/\/[^/]/i.test(v) && URL.canParse(v)),
    `${name} must be an http(s) URL (${what}).`,
  );

const required = (name: string, what: string) =>
  z
    .string({ error: `${name} is required: ${what}.` })
    .trim()
    .min(1, `${name} is required: ${what}.`);

const rawSchema = z.object({
  NODE_ENV: optionalText,
  PORT: optionalText,
  BASE_PATH: optionalText,
  DOMAIN: optionalText,
  TRUST_PROXY: optionalText,
  LOG_LEVEL: optionalText,
  ALLOWED_ORIGINS: optionalText,
  CLIENT_DIST_DIR: optionalText,

  MLFLOW_HOSTNAME: httpUrl('MLFLOW_HOSTNAME', 'the URL this service uses to reach MLflow, e.g. http://mlflow:5000'),
  MLFLOW_USERNAME: required('MLFLOW_USERNAME', "the MLflow admin account's username"),
  MLFLOW_PASSWORD: required('MLFLOW_PASSWORD', "the MLflow admin account's password"),
  MLFLOW_PUBLIC_URL: optionalHttpUrl('MLFLOW_PUBLIC_URL', 'the MLflow URL shown to people'),

  OIDC_AUTHORITY: httpUrl('OIDC_AUTHORITY', 'the OpenID provider issuer URL'),
  OIDC_CLIENT_ID: required('OIDC_CLIENT_ID', 'the client id registered at the OpenID provider'),
  OIDC_CLIENT_SECRET: optionalText,
  OIDC_SCOPE: optionalText,
  OIDC_REDIRECT_URI: optionalHttpUrl('OIDC_REDIRECT_URI', 'the callback URL registered at the provider'),
  OIDC_ALLOW_INSECURE_HTTP: bool('OIDC_ALLOW_INSECURE_HTTP', false),

  REQUIRED_ENTITLEMENT: optionalText,
  REQUIRED_REALM_ROLES: optionalText,
  ALLOW_ANY_AUTHENTICATED_USER: bool('ALLOW_ANY_AUTHENTICATED_USER', false),
  REQUIRE_VERIFIED_EMAIL: bool('REQUIRE_VERIFIED_EMAIL', true),

  USER_CREDENTIALS_SECRETS_API: optionalHttpUrl('USER_CREDENTIALS_SECRETS_API', 'the AI4OS platform API base URL'),
  USER_CREDENTIALS_SECRETS_VO: optionalText,
  USER_CREDENTIALS_SECRETS_PATH: optionalText,

  PRIVACY_POLICY_URL: optionalHttpUrl('PRIVACY_POLICY_URL', 'the privacy policy people accept'),
  TERMS_OF_USE_URL: optionalHttpUrl('TERMS_OF_USE_URL', 'the terms of use people accept'),

  SESSION_SECRET: optionalText,
  SESSION_DATABASE_URL: optionalText,
  SESSION_PRUNE_INTERVAL_SECONDS: optionalText,
  PASSWORD_MIN_LENGTH: optionalText,
  REAUTH_MAX_AGE_SECONDS: optionalText,

  DATA_DIR: optionalText,
  DATABASE_URL: optionalText,
  ACTIVITY_RETENTION_DAYS: optionalText,
  DEPROVISION_AFTER_DAYS: optionalText,
  DEPROVISION_ON_INELIGIBLE: bool('DEPROVISION_ON_INELIGIBLE', false),
  MAINTENANCE_INTERVAL_SECONDS: optionalText,
  SUPPORT_CONTACT: optionalText,
  MACHINE_ACCOUNTS_PER_USER: optionalText,
  INVITATION_TTL_DAYS: optionalText,
  INVITATIONS_PER_USER: optionalText,
  SHAREABLE_GROUPS: optionalText,
});

type Raw = z.infer<typeof rawSchema>;

/** Every environment variable the service reads: deployments and their checks are derived from it. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(rawSchema.shape));

/** Which claims make a person eligible to register (see docs/reference/identity-claims.md). */
export type EligibilityRule =
  | { kind: 'entitlement'; anyOf: string[] }
  | { kind: 'realm_roles'; allOf: string[] }
  | { kind: 'any_authenticated_user' };

export interface Config {
  production: boolean;
  port: number;
  /** Where the service is mounted, without a trailing slash (e.g. `/signup`). */
  basePath: string;
  /** Express `trust proxy`: needed behind Traefik so that `Secure` cookies and client IPs are right. */
  trustProxy: boolean | number | string;
  logLevel: string;
  /** Origins (scheme://host[:port]) allowed to send state-changing requests, besides the request's own. */
  allowedOrigins: string[];
  clientDistDir: string | undefined;
  mlflow: { url: string; adminUsername: string; adminPassword: string; publicUrl: string };
  oidc: {
    issuer: string;
    clientId: string;
    /** Absent: a public client, protected by PKCE alone. */
    clientSecret: string | undefined;
    scopes: string[];
    redirectUri: string;
    /** Plain-http issuers are refused unless this is set (local demo and tests only). */
    allowInsecureHttp: boolean;
  };
  eligibility: { rule: EligibilityRule; requireVerifiedEmail: boolean };
  /** Vault through PAPI; `undefined` when the operator did not configure it. */
  vault: { apiUrl: string; vo: string; secretPath: string } | undefined;
  links: { privacyPolicyUrl: string | undefined; termsOfUseUrl: string | undefined };
  session: {
    secret: string;
    /** PostgreSQL URL for a shared session store; absent: a bounded in-memory store (one instance only). */
    databaseUrl: string | undefined;
    /** How often expired sessions are deleted from the store. */
    pruneIntervalSeconds: number;
    cookieSecure: boolean;
    maxAgeMs: number;
  };
  password: { minLength: number; maxLength: number };
  /**
   * Sensitive actions (changing the password, deleting the account) need a sign-in at the provider at
   * most this many seconds old, read from the ID token's `auth_time` (OWASP ASVS 3.7.1); 0 turns it off.
   */
  reauthMaxAgeSeconds: number;
  /**
   * The account registry and activity log: PostgreSQL when a URL is set (several replicas share it),
   * else an embedded SQLite file in `DATA_DIR`.
   */
  database: { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };
  /** How long activity records are kept. */
  activityRetentionDays: number;
  deprovision: {
    /** Disable accounts whose bound identity has not signed in eligible for this many days; undefined: never. */
    afterDays: number | undefined;
    /** Disable an account at once when its bound identity signs in and is no longer eligible. */
    onIneligible: boolean;
  };
  /** How often the maintenance job (deprovisioning sweep, activity pruning) runs. */
  maintenanceIntervalSeconds: number;
  /** Whom people contact about an account they cannot reach (an email address or a URL); shown in messages. */
  supportContact: string | undefined;
  /** How many machine accounts (for pipelines) one person may own; 0 turns the feature off. */
  machineAccountsPerUser: number;
  /** How long an invitation (a grant for an email not registered yet) waits before it expires. */
  invitationTtlDays: number;
  /** How many live invitations one person may have out at once; 0 turns invitations off. */
  invitationsPerUser: number;
  /**
   * Which of a person's claims are groups they may share with (`<kind>:<glob>`, see `groups/patterns.ts`);
   * empty turns group sharing off.
   */
  shareableGroups: string[];
}

export type ConfigResult = { ok: true; config: Config; warnings: string[] } | { ok: false; errors: string[] };

function normaliseBasePath(value: string | undefined, errors: string[]): string {
  const v = value ?? '/signup';
  if (v === '' || v === '/') return '';
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(v) || v.includes('//')) {
    errors.push(`BASE_PATH must be a path such as /signup, not "${v}".`);
    return '/signup';
  }
  return v.replace(/\/+$/, '');
}

function parseTrustProxy(value: string | undefined, errors: string[]): boolean | number | string {
  if (value === undefined) return false;
  const s = value.toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^\d+$/.test(s)) return Number(s);
  if (/^[0-9a-f.:/,\s]+$|^(loopback|linklocal|uniquelocal)(\s*,.*)?$/i.test(value)) return value;
  errors.push(`TRUST_PROXY must be true, false, a hop count or a list of proxy addresses, not "${value}".`);
  return false;
}

function parseIntInRange(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  errors: string[],
) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    errors.push(`${name} must be a whole number from ${min} to ${max}, not "${value}".`);
    return fallback;
  }
  return n;
}

function eligibilityRule(raw: Raw, errors: string[]): EligibilityRule {
  const entitlements = splitList(raw.REQUIRED_ENTITLEMENT, /,/);
  const roles = splitList(raw.REQUIRED_REALM_ROLES, /,/);
  if (entitlements.length && roles.length) {
    errors.push('Set only one of REQUIRED_ENTITLEMENT and REQUIRED_REALM_ROLES, not both: they are alternative rules.');
  } else if (entitlements.length) {
    return { kind: 'entitlement', anyOf: entitlements };
  } else if (roles.length) {
    return { kind: 'realm_roles', allOf: roles };
  } else if (!raw.ALLOW_ANY_AUTHENTICATED_USER) {
    errors.push(
      'Set REQUIRED_ENTITLEMENT or REQUIRED_REALM_ROLES to say who may register, or ALLOW_ANY_AUTHENTICATED_USER=true to let everyone who can sign in register.',
    );
  }
  return { kind: 'any_authenticated_user' };
}

/**
 * Validates the environment and builds the {@link Config}. Every problem is collected, so an operator
 * fixes them all in one go instead of one restart per mistake.
 */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = rawSchema.safeParse(env);
  const errors: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push(issue.message);
  }
  // Keep every field that did parse, so the checks below still report the remaining problems in this run.
  const raw = parsed.success ? parsed.data : parseFieldByField(env);
  const warnings: string[] = [];

  const production = raw.NODE_ENV === 'production';
  const basePath = normaliseBasePath(raw.BASE_PATH, errors);
  const port = parseIntInRange('PORT', raw.PORT, 3000, 1, 65535, errors);
  const trustProxy = parseTrustProxy(raw.TRUST_PROXY, errors);
  const pruneIntervalSeconds = parseIntInRange(
    'SESSION_PRUNE_INTERVAL_SECONDS',
    raw.SESSION_PRUNE_INTERVAL_SECONDS,
    900,
    1,
    86_400,
    errors,
  );
  const reauthMaxAgeSeconds = parseIntInRange(
    'REAUTH_MAX_AGE_SECONDS',
    raw.REAUTH_MAX_AGE_SECONDS,
    600,
    0,
    86_400,
    errors,
  );
  const passwordMinLength = parseIntInRange(
    'PASSWORD_MIN_LENGTH',
    raw.PASSWORD_MIN_LENGTH,
    12,
    MIN_PASSWORD_LENGTH,
    256,
    errors,
  );

  const scopes = splitList(raw.OIDC_SCOPE ?? 'openid email profile');
  if (!scopes.includes('openid')) errors.push('OIDC_SCOPE must include "openid".');

  let redirectUri = raw.OIDC_REDIRECT_URI;
  if (!redirectUri) {
    if (raw.DOMAIN) redirectUri = `https://${raw.DOMAIN}${basePath}/auth/callback`;
    else
      errors.push('Set OIDC_REDIRECT_URI, or DOMAIN so that it can default to https://$DOMAIN/signup/auth/callback.');
  }

  const rule = eligibilityRule(raw, errors);

  let vault: Config['vault'];
  if (raw.USER_CREDENTIALS_SECRETS_API && raw.USER_CREDENTIALS_SECRETS_VO) {
    const secretPath = raw.USER_CREDENTIALS_SECRETS_PATH ?? '/services/mlflow/credentials';
    if (!secretPath.startsWith('/')) errors.push('USER_CREDENTIALS_SECRETS_PATH must start with "/".');
    vault = {
      apiUrl: raw.USER_CREDENTIALS_SECRETS_API.replace(/\/+$/, ''),
      vo: raw.USER_CREDENTIALS_SECRETS_VO,
      secretPath,
    };
  } else if (raw.USER_CREDENTIALS_SECRETS_API || raw.USER_CREDENTIALS_SECRETS_VO) {
    errors.push(
      'Set both USER_CREDENTIALS_SECRETS_API and USER_CREDENTIALS_SECRETS_VO to store credentials in Vault, or neither.',
    );
  }

  let secret = raw.SESSION_SECRET;
  if (!secret) {
    if (production)
      errors.push(
        'SESSION_SECRET is required when NODE_ENV=production: a long random string that signs session cookies.',
      );
    else warnings.push('SESSION_SECRET is not set: using a random one, so sessions end when the process restarts.');
    secret = crypto.randomUUID() + crypto.randomUUID();
  } else if (secret.length < 32) {
    errors.push('SESSION_SECRET must be at least 32 characters long.');
  }
  if (raw.SESSION_DATABASE_URL && !/^postgres(ql)?:\/\//.test(raw.SESSION_DATABASE_URL)) {
    errors.push('SESSION_DATABASE_URL must be a postgres:// URL.');
  }
  if (raw.DATABASE_URL && !/^postgres(ql)?:\/\//.test(raw.DATABASE_URL)) {
    errors.push(
      'DATABASE_URL must be a postgres:// URL (leave it unset to keep the registry in a SQLite file in DATA_DIR).',
    );
  }
  // One database serves both when only one URL is set: an existing deployment with SESSION_DATABASE_URL keeps
  // its registry beside its sessions, and a new one sets DATABASE_URL once.
  const databaseUrl = raw.DATABASE_URL ?? raw.SESSION_DATABASE_URL;
  const sessionDatabaseUrl = raw.SESSION_DATABASE_URL ?? raw.DATABASE_URL;
  const dataDir = raw.DATA_DIR ?? 'data';
  const activityRetentionDays = parseIntInRange(
    'ACTIVITY_RETENTION_DAYS',
    raw.ACTIVITY_RETENTION_DAYS,
    365,
    1,
    36_500,
    errors,
  );
  const deprovisionAfterDays =
    raw.DEPROVISION_AFTER_DAYS === undefined || ['off', '0'].includes(raw.DEPROVISION_AFTER_DAYS.toLowerCase())
      ? undefined
      : parseIntInRange('DEPROVISION_AFTER_DAYS', raw.DEPROVISION_AFTER_DAYS, 0, 1, 36_500, errors);
  const machineAccountsPerUser = parseIntInRange(
    'MACHINE_ACCOUNTS_PER_USER',
    raw.MACHINE_ACCOUNTS_PER_USER,
    5,
    0,
    100,
    errors,
  );
  const invitationTtlDays = parseIntInRange('INVITATION_TTL_DAYS', raw.INVITATION_TTL_DAYS, 30, 1, 365, errors);
  const invitationsPerUser = parseIntInRange('INVITATIONS_PER_USER', raw.INVITATIONS_PER_USER, 50, 0, 10_000, errors);
  const maintenanceIntervalSeconds = parseIntInRange(
    'MAINTENANCE_INTERVAL_SECONDS',
    raw.MAINTENANCE_INTERVAL_SECONDS,
    3600,
    10,
    86_400,
    errors,
  );

  const groupPatterns = parseGroupPatterns(raw.SHAREABLE_GROUPS);
  errors.push(...groupPatterns.errors);

  const allowedOrigins: string[] = [];
  for (const origin of splitList(raw.ALLOWED_ORIGINS)) {
    if (URL.canParse(origin)) allowedOrigins.push(new URL(origin).origin);
    else errors.push(`ALLOWED_ORIGINS holds "${origin}", which is not an origin such as http://localhost:5173.`);
  }
  if (redirectUri && URL.canParse(redirectUri)) allowedOrigins.unshift(new URL(redirectUri).origin);

  const cookieSecure = Boolean(redirectUri?.startsWith('https://'));
  if (cookieSecure && trustProxy === false && production) {
    warnings.push(
      'OIDC_REDIRECT_URI is https but TRUST_PROXY is not set: behind a TLS-terminating proxy, set TRUST_PROXY=1 or sessions cannot start.',
    );
  }
  if (raw.OIDC_ALLOW_INSECURE_HTTP && production) {
    warnings.push(
      'OIDC_ALLOW_INSECURE_HTTP=true in production: the provider is reached over plain http. Use this for local demos only.',
    );
  }

  if (errors.length) return { ok: false, errors: [...new Set(errors)] };

  const config: Config = {
    production,
    port,
    basePath,
    trustProxy,
    logLevel: raw.LOG_LEVEL ?? 'info',
    allowedOrigins: [...new Set(allowedOrigins)],
    clientDistDir: raw.CLIENT_DIST_DIR,
    mlflow: {
      url: raw.MLFLOW_HOSTNAME,
      adminUsername: raw.MLFLOW_USERNAME,
      adminPassword: raw.MLFLOW_PASSWORD,
      publicUrl:
        raw.MLFLOW_PUBLIC_URL?.replace(/\/+$/, '') ?? (raw.DOMAIN ? `https://${raw.DOMAIN}` : raw.MLFLOW_HOSTNAME),
    },
    oidc: {
      issuer: raw.OIDC_AUTHORITY,
      clientId: raw.OIDC_CLIENT_ID,
      clientSecret: raw.OIDC_CLIENT_SECRET,
      scopes,
      redirectUri: redirectUri!,
      allowInsecureHttp: raw.OIDC_ALLOW_INSECURE_HTTP,
    },
    eligibility: { rule, requireVerifiedEmail: raw.REQUIRE_VERIFIED_EMAIL },
    vault,
    links: { privacyPolicyUrl: raw.PRIVACY_POLICY_URL, termsOfUseUrl: raw.TERMS_OF_USE_URL },
    session: {
      secret,
      databaseUrl: sessionDatabaseUrl,
      pruneIntervalSeconds,
      cookieSecure,
      maxAgeMs: 12 * 60 * 60 * 1000,
    },
    password: { minLength: passwordMinLength, maxLength: 256 },
    reauthMaxAgeSeconds,
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl }
      : { kind: 'sqlite', file: path.resolve(dataDir, 'registry.sqlite') },
    activityRetentionDays,
    deprovision: { afterDays: deprovisionAfterDays, onIneligible: raw.DEPROVISION_ON_INELIGIBLE },
    maintenanceIntervalSeconds,
    supportContact: raw.SUPPORT_CONTACT,
    machineAccountsPerUser,
    invitationTtlDays,
    invitationsPerUser,
    shareableGroups: groupPatterns.patterns.map((p) => `${p.kind}:${p.glob}`),
  };
  return { ok: true, config: deepFreeze(config), warnings };
}

function parseFieldByField(env: Record<string, string | undefined>): Raw {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(rawSchema.shape)) {
    const result = (schema as z.ZodType).safeParse(env[key]);
    if (result.success) out[key] = result.data;
  }
  return out as Raw;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
