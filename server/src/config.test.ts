import path from 'node:path';
import { loadConfig } from './config.js';

const valid = {
  MLFLOW_HOSTNAME: 'http://mlflow:5000',
  MLFLOW_USERNAME: 'admin',
  MLFLOW_PASSWORD: 'admin-password-123',
  OIDC_AUTHORITY: 'https://aai.egi.eu/auth/realms/egi',
  OIDC_CLIENT_ID: 'mlflow-signup',
  REQUIRED_ENTITLEMENT: 'urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu',
  DOMAIN: 'mlflow.example.org',
};

function errorsOf(env: Record<string, string | undefined>): string[] {
  const result = loadConfig(env);
  if (result.ok) throw new Error('expected the configuration to be refused');
  return result.errors;
}

describe('loadConfig', () => {
  it('when the seed deployment variables are set, then it derives the defaults from DOMAIN', () => {
    const result = loadConfig(valid);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const { config } = result;
    expect(config.oidc.redirectUri).toBe('https://mlflow.example.org/signup/auth/callback');
    expect(config.basePath).toBe('/signup');
    expect(config.port).toBe(3000);
    expect(config.oidc.clientSecret).toBeUndefined();
    expect(config.oidc.scopes).toEqual(['openid', 'email', 'profile']);
    expect(config.session.cookieSecure).toBe(true);
    expect(config.password.minLength).toBe(12);
    expect(config.eligibility).toEqual({
      rule: { kind: 'entitlement', anyOf: ['urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu'] },
      requireVerifiedEmail: true,
    });
    expect(config.vault).toBeUndefined();
    expect(config.mlflow.publicUrl).toBe('https://mlflow.example.org');
    expect(Object.isFrozen(config.oidc)).toBe(true);
  });

  it('when OIDC_SCOPE uses commas or spaces, then both split into scopes', () => {
    const a = loadConfig({ ...valid, OIDC_SCOPE: 'openid,email, profile eduperson_entitlement' });
    expect(a.ok && a.config.oidc.scopes).toEqual(['openid', 'email', 'profile', 'eduperson_entitlement']);
  });

  it('when several variables are wrong, then every problem is reported at once, naming each variable', () => {
    const errors = errorsOf({ MLFLOW_HOSTNAME: 'mlflow:5000', PORT: 'eighty', PASSWORD_MIN_LENGTH: '8' });
    const text = errors.join('\n');
    for (const name of [
      'MLFLOW_HOSTNAME',
      'MLFLOW_USERNAME',
      'MLFLOW_PASSWORD',
      'OIDC_AUTHORITY',
      'OIDC_CLIENT_ID',
      'PORT',
      'PASSWORD_MIN_LENGTH',
      'OIDC_REDIRECT_URI',
      'REQUIRED_ENTITLEMENT',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('when both eligibility rules are set, then it is an error', () => {
    expect(errorsOf({ ...valid, REQUIRED_REALM_ROLES: 'access:vo.ai4eosc.eu:ap-u' }).join()).toMatch(
      /only one of REQUIRED_ENTITLEMENT and REQUIRED_REALM_ROLES/,
    );
  });

  it('when neither rule is set, then it is an error unless ALLOW_ANY_AUTHENTICATED_USER=true', () => {
    const { REQUIRED_ENTITLEMENT: _, ...none } = valid;
    expect(errorsOf(none).join()).toMatch(/ALLOW_ANY_AUTHENTICATED_USER/);
    const open = loadConfig({ ...none, ALLOW_ANY_AUTHENTICATED_USER: 'true' });
    expect(open.ok && open.config.eligibility.rule).toEqual({ kind: 'any_authenticated_user' });
  });

  it('when REQUIRED_REALM_ROLES lists several roles, then all are required', () => {
    const { REQUIRED_ENTITLEMENT: _, ...none } = valid;
    const r = loadConfig({ ...none, REQUIRED_REALM_ROLES: 'a, b' });
    expect(r.ok && r.config.eligibility.rule).toEqual({ kind: 'realm_roles', allOf: ['a', 'b'] });
  });

  it('when NODE_ENV=production and SESSION_SECRET is missing, then it is an error', () => {
    expect(errorsOf({ ...valid, NODE_ENV: 'production' }).join()).toMatch(/SESSION_SECRET is required/);
    const dev = loadConfig(valid);
    expect(dev.ok && dev.warnings.join()).toMatch(/SESSION_SECRET/);
  });

  it('when PASSWORD_MIN_LENGTH is below 12, then it is refused (MLflow 3 rejects shorter)', () => {
    expect(errorsOf({ ...valid, PASSWORD_MIN_LENGTH: '11' }).join()).toMatch(
      /PASSWORD_MIN_LENGTH must be a whole number from 12/,
    );
    const r = loadConfig({ ...valid, PASSWORD_MIN_LENGTH: '16' });
    expect(r.ok && r.config.password.minLength).toBe(16);
  });

  it('when only one of the Vault variables is set, then it is an error; both set enable Vault with the default path', () => {
    expect(errorsOf({ ...valid, USER_CREDENTIALS_SECRETS_API: 'https://api.example.org/v1' }).join()).toMatch(
      /USER_CREDENTIALS_SECRETS_VO/,
    );
    const r = loadConfig({
      ...valid,
      USER_CREDENTIALS_SECRETS_API: 'https://api.example.org/v1/',
      USER_CREDENTIALS_SECRETS_VO: 'vo.ai4eosc.eu',
    });
    expect(r.ok && r.config.vault).toEqual({
      apiUrl: 'https://api.example.org/v1',
      vo: 'vo.ai4eosc.eu',
      secretPath: '/services/mlflow/credentials',
    });
  });

  it('when booleans and BASE_PATH are malformed, then they are refused with the variable name', () => {
    const text = errorsOf({
      ...valid,
      REQUIRE_VERIFIED_EMAIL: 'maybe',
      BASE_PATH: 'signup',
      TRUST_PROXY: '<script>',
    }).join('\n');
    expect(text).toMatch(/REQUIRE_VERIFIED_EMAIL must be true or false/);
    expect(text).toMatch(/BASE_PATH must be a path/);
    expect(text).toMatch(/TRUST_PROXY/);
  });

  it('when TRUST_PROXY and BASE_PATH are given, then they are parsed', () => {
    const r = loadConfig({
      ...valid,
      TRUST_PROXY: '1',
      BASE_PATH: '/join/',
      OIDC_REDIRECT_URI: 'http://localhost:3000/join/auth/callback',
    });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config.trustProxy).toBe(1);
    expect(r.config.basePath).toBe('/join');
    expect(r.config.session.cookieSecure).toBe(false);
    expect(r.config.allowedOrigins).toEqual(['http://localhost:3000']);
  });
});

describe('loadConfig: the registry and its maintenance', () => {
  function configOf(env: Record<string, string | undefined>) {
    const result = loadConfig({ ...valid, ...env });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    return result.config;
  }

  it('when none of the registry variables is set, then SQLite in ./data, a year of activity, no deprovisioning', () => {
    const config = configOf({});
    expect(config.database).toEqual({ kind: 'sqlite', file: path.resolve('data', 'registry.sqlite') });
    expect(config.session.databaseUrl).toBeUndefined();
    expect(config.activityRetentionDays).toBe(365);
    expect(config.deprovision).toEqual({ afterDays: undefined, onIneligible: false });
    expect(config.maintenanceIntervalSeconds).toBe(3600);
    expect(config.supportContact).toBeUndefined();
    expect(Object.isFrozen(config.database)).toBe(true);
  });

  it('when DATA_DIR is set, then the registry is registry.sqlite in it, as an absolute path', () => {
    expect(configOf({ DATA_DIR: 'var/lib/signup' }).database).toEqual({
      kind: 'sqlite',
      file: path.resolve('var/lib/signup', 'registry.sqlite'),
    });
    expect(configOf({ DATA_DIR: '/data' }).database).toEqual({ kind: 'sqlite', file: '/data/registry.sqlite' });
  });

  it('when DATABASE_URL is not a postgres:// URL, then it is refused', () => {
    expect(errorsOf({ ...valid, DATABASE_URL: 'mysql://db/signup' }).join()).toMatch(
      /DATABASE_URL must be a postgres:\/\/ URL/,
    );
    expect(errorsOf({ ...valid, DATABASE_URL: '/data/registry.sqlite' }).join()).toMatch(/DATABASE_URL/);
  });

  it('when only DATABASE_URL is set, then the registry and the sessions both use it', () => {
    const config = configOf({ DATABASE_URL: 'postgresql://u:p@db/signup', DATA_DIR: '/ignored' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db/signup' });
    expect(config.session.databaseUrl).toBe('postgresql://u:p@db/signup');
  });

  it('when only SESSION_DATABASE_URL is set, then the registry moves beside the sessions', () => {
    const config = configOf({ SESSION_DATABASE_URL: 'postgres://u:p@db/sessions' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db/sessions' });
    expect(config.session.databaseUrl).toBe('postgres://u:p@db/sessions');
  });

  it('when both URLs are set, then each keeps its own', () => {
    const config = configOf({ DATABASE_URL: 'postgres://db/registry', SESSION_DATABASE_URL: 'postgres://db/sessions' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://db/registry' });
    expect(config.session.databaseUrl).toBe('postgres://db/sessions');
  });

  it('when DEPROVISION_AFTER_DAYS is off or 0, then nothing is deprovisioned; a number of days turns it on', () => {
    for (const off of ['off', 'OFF', '0', '']) {
      expect(configOf({ DEPROVISION_AFTER_DAYS: off }).deprovision.afterDays).toBeUndefined();
    }
    expect(configOf({ DEPROVISION_AFTER_DAYS: '180' }).deprovision.afterDays).toBe(180);
    expect(configOf({ DEPROVISION_ON_INELIGIBLE: 'true' }).deprovision).toEqual({
      afterDays: undefined,
      onIneligible: true,
    });
  });

  it('when DEPROVISION_AFTER_DAYS is anything else, then it is refused', () => {
    for (const garbage of ['soon', '-5', '1.5', '36501']) {
      expect(errorsOf({ ...valid, DEPROVISION_AFTER_DAYS: garbage }).join()).toMatch(
        /DEPROVISION_AFTER_DAYS must be a whole number from 1 to 36500/,
      );
    }
  });

  it('when ACTIVITY_RETENTION_DAYS is within 1 to 36500, then it is taken; outside, refused', () => {
    expect(configOf({ ACTIVITY_RETENTION_DAYS: '1' }).activityRetentionDays).toBe(1);
    expect(configOf({ ACTIVITY_RETENTION_DAYS: '36500' }).activityRetentionDays).toBe(36_500);
    for (const outside of ['0', '36501', 'forever']) {
      expect(errorsOf({ ...valid, ACTIVITY_RETENTION_DAYS: outside }).join()).toMatch(
        /ACTIVITY_RETENTION_DAYS must be a whole number from 1 to 36500/,
      );
    }
  });

  it('when MAINTENANCE_INTERVAL_SECONDS and SUPPORT_CONTACT are set, then they are taken', () => {
    const config = configOf({ MAINTENANCE_INTERVAL_SECONDS: '600', SUPPORT_CONTACT: ' help@example.org ' });
    expect(config.maintenanceIntervalSeconds).toBe(600);
    expect(config.supportContact).toBe('help@example.org');
  });

  it('when several registry variables are wrong, then every problem is reported at once', () => {
    const text = errorsOf({
      ...valid,
      DATABASE_URL: 'sqlite:///data/registry.sqlite',
      SESSION_DATABASE_URL: 'redis://cache',
      ACTIVITY_RETENTION_DAYS: '0',
      DEPROVISION_AFTER_DAYS: 'never',
      DEPROVISION_ON_INELIGIBLE: 'maybe',
      MAINTENANCE_INTERVAL_SECONDS: '5',
    }).join('\n');
    for (const name of [
      'DATABASE_URL must',
      'SESSION_DATABASE_URL must',
      'ACTIVITY_RETENTION_DAYS',
      'DEPROVISION_AFTER_DAYS',
      'DEPROVISION_ON_INELIGIBLE',
      'MAINTENANCE_INTERVAL_SECONDS',
    ]) {
      expect(text).toContain(name);
    }
  });
});

describe('.env.sample', () => {
  it('when used as it is (outside production), then it is a valid configuration', async () => {
    const { readFileSync } = await import('node:fs');
    const dotenv = (await import('dotenv')).default;
    const sample = dotenv.parse(readFileSync(new URL('../../.env.sample', import.meta.url)));
    const result = loadConfig(sample);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.oidc.redirectUri).toBe(`https://${sample.DOMAIN}/signup/auth/callback`);
  });
});

describe('SHAREABLE_GROUPS', () => {
  it('when unset, then group sharing is off (no patterns)', () => {
    const result = loadConfig(valid);
    expect(result.ok && result.config.shareableGroups).toEqual([]);
  });
  it('when it holds patterns, then they are kept as written', () => {
    const result = loadConfig({ ...valid, SHAREABLE_GROUPS: 'realm_role:team-*, group:/projects/*' });
    expect(result.ok && result.config.shareableGroups).toEqual(['realm_role:team-*', 'group:/projects/*']);
  });
  it('when a pattern is malformed, then the start fails with a plain message naming it', () => {
    const result = loadConfig({ ...valid, SHAREABLE_GROUPS: 'teams-*' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.join('\n')).toMatch(/SHAREABLE_GROUPS holds "teams-\*"/);
  });
});
