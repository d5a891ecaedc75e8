/**
 * What an operator sees when the configuration is wrong: the real entry point, as a process.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../support/mlflow-venv.js';

function start(env: Record<string, string>) {
  return spawnSync(path.join(repoRoot, 'tests/node_modules/.bin/tsx'), [path.join(repoRoot, 'server/src/main.ts')], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('when the service starts with a broken configuration', () => {
  it('then it exits 1 and names every problem at once, in plain words, without a stack trace', () => {
    const r = start({
      MLFLOW_HOSTNAME: 'mlflow:5000',
      OIDC_AUTHORITY: 'https://aai.example.org/realm',
      REQUIRED_ENTITLEMENT: 'urn:a',
      REQUIRED_REALM_ROLES: 'role-a',
      PASSWORD_MIN_LENGTH: '8',
      USER_CREDENTIALS_SECRETS_API: 'https://api.example.org/v1',
    });
    expect(r.status).toBe(1);
    for (const text of [
      'MLFLOW_HOSTNAME must be an http(s) URL',
      'MLFLOW_USERNAME is required',
      'MLFLOW_PASSWORD is required',
      'OIDC_CLIENT_ID is required',
      'Set only one of REQUIRED_ENTITLEMENT and REQUIRED_REALM_ROLES',
      'PASSWORD_MIN_LENGTH must be a whole number from 12',
      'USER_CREDENTIALS_SECRETS_VO',
      'SESSION_SECRET is required when NODE_ENV=production',
      'OIDC_REDIRECT_URI',
    ]) {
      expect(r.stderr).toContain(text);
    }
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });
});
