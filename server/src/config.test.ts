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
