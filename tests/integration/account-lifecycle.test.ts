/**
 * The account lifecycle through the BFF, checked against the real MLflow (with Basic auth, as a person's
 * MLflow client would) and against the secret the PAPI double stored.
 */
import { TEST_VO, useStack, type ApiSession } from '../support/stack.js';
import { signInStatus, mlflowUser } from '../support/mlflow-direct.js';

const SECRET_PATH = '/services/mlflow/credentials';
const FIRST = 'first-password-1234';
const SECOND = 'second-password-5678';

const stack = useStack({ rule: 'realm_roles', vault: true });

describe('when an eligible person registers, changes the password and deletes the account', () => {
  let alice: ApiSession;

  it('then, before signing in, /api/config serves the links and the password policy (the one place they are served)', async () => {
    const res = await stack()
      .newAgent()
      .fetch(`${stack().baseUrl}/api/config`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      mlflow_url: stack().mlflow.url,
      privacy_policy_url: 'https://example.org/privacy',
      terms_of_use_url: 'https://example.org/terms',
      vault_enabled: true,
      support_contact: null,
      password_policy: { min_length: 12, max_length: 256 },
    });
  });

  it('then before registering, /api/me shows who they are and no account', async () => {
    alice = await stack().signIn('alice');
    const me = await alice.me();
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      user: { email: 'alice@example.org', name: 'Alice Roles', eligible: true, ineligible: null },
      ownership: { status: 'none', username: 'alice@example.org', email_changed: false, message: null },
      account: null,
      vault: { status: 'missing' },
    });
    expect(Object.keys(me.body).sort()).toEqual([
      'account',
      'csrf_token',
      'ownership',
      'reauthentication',
      'shared_with_you',
      'user',
      'vault',
    ]);
    expect(me.body.shared_with_you).toEqual([]);
    expect(typeof me.body.csrf_token).toBe('string');
  });

  it('then registering creates the MLflow user with that password and stores it in Vault', async () => {
    const res = await alice.register(FIRST);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      account: { username: 'alice@example.org', is_admin: false },
      vault: { status: 'in_sync' },
    });
    expect(await signInStatus(stack().mlflow, 'alice@example.org', FIRST)).toBe(200);
    expect(stack().papi!.secretFor('alice-sub', TEST_VO, SECRET_PATH)).toEqual({
      username: 'alice@example.org',
      password: FIRST,
    });
    const me = await alice.me();
    expect(me.body.ownership).toMatchObject({ status: 'owned', username: 'alice@example.org', email_changed: false });
    expect(me.body.account).toEqual({
      id: res.body.account.id,
      username: 'alice@example.org',
      is_admin: false,
      disabled: null,
    });
    expect(me.body.vault.status).toBe('in_sync');
  });

  it('then registering again answers 409 already_registered', async () => {
    const res = await alice.register('another-password-999');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('already_registered');
    expect(await signInStatus(stack().mlflow, 'alice@example.org', FIRST)).toBe(200);
  });

  it('then changing the password makes the new one work and the old one fail, in MLflow and in Vault', async () => {
    const res = await alice.changePassword(SECOND);
    expect(res.status).toBe(204);
    expect(await signInStatus(stack().mlflow, 'alice@example.org', SECOND)).toBe(200);
    expect(await signInStatus(stack().mlflow, 'alice@example.org', FIRST)).toBe(401);
    expect(stack().papi!.secretFor('alice-sub', TEST_VO, SECRET_PATH)).toEqual({
      username: 'alice@example.org',
      password: SECOND,
    });
    expect((await alice.me()).body.vault.status).toBe('in_sync');
  });

  it('then deleting removes the MLflow user and the Vault secret', async () => {
    const res = await alice.deleteAccount();
    expect(res.status).toBe(204);
    expect(await mlflowUser(stack().mlflow, 'alice@example.org')).toBeNull();
    expect(await signInStatus(stack().mlflow, 'alice@example.org', SECOND)).toBe(401);
    expect(stack().papi!.secretFor('alice-sub', TEST_VO, SECRET_PATH)).toBeUndefined();
    const me = await alice.me();
    expect(me.body.ownership).toMatchObject({ status: 'none', username: 'alice@example.org' });
    expect(me.body.account).toBeNull();
    expect(me.body.vault.status).toBe('missing');
  });

  it('then deleting again is harmless: Vault is cleared again and MLflow stays without the user', async () => {
    // PAPI's DELETE does not check existence, so with Vault enabled a repeated delete is a 204, not an error.
    const res = await alice.deleteAccount();
    expect(res.status).toBe(204);
    expect(await mlflowUser(stack().mlflow, 'alice@example.org')).toBeNull();
  });
});

describe('when Vault fails', () => {
  it('at registration, then 502 vault_failed and no MLflow user is left behind; a retry works', async () => {
    const frank = await stack().signIn('frank');
    stack().papi!.failNext({ method: 'POST', status: 500 });
    const res = await frank.register(FIRST);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('vault_failed');
    expect(await mlflowUser(stack().mlflow, 'frank@example.org')).toBeNull();
    expect(stack().papi!.secretFor('frank-sub', TEST_VO, SECRET_PATH)).toBeUndefined();

    const retry = await frank.register(FIRST);
    expect(retry.status).toBe(201);
    expect(await signInStatus(stack().mlflow, 'frank@example.org', FIRST)).toBe(200);
  });

  it('at a password change, then 502 vault_out_of_sync, /api/me says out_of_sync, and submitting again repairs it', async () => {
    const frank = await stack().signIn('frank');
    stack().papi!.failNext({ method: 'POST', status: 503 });
    const res = await frank.changePassword(SECOND);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('vault_out_of_sync');
    expect(await signInStatus(stack().mlflow, 'frank@example.org', SECOND)).toBe(200);
    expect((await frank.me()).body.vault.status).toBe('out_of_sync');

    expect((await frank.changePassword(SECOND)).status).toBe(204);
    expect((await frank.me()).body.vault.status).toBe('in_sync');
  });

  it('when PAPI is down, then /api/me says unavailable rather than guessing', async () => {
    const frank = await stack().signIn('frank');
    stack().papi!.setDown(true);
    try {
      const me = await frank.me();
      expect(me.status).toBe(200);
      expect(me.body.vault.status).toBe('unavailable');
      const del = await frank.deleteAccount();
      expect(del.status).toBe(502);
      expect(del.body.error.code).toBe('vault_failed');
      expect(await mlflowUser(stack().mlflow, 'frank@example.org')).not.toBeNull();
    } finally {
      stack().papi!.setDown(false);
    }
  });

  it('when the Vault copy was deleted behind our back, then /api/me says missing', async () => {
    const frank = await stack().signIn('frank');
    stack().papi!.deleteSecret('frank-sub', TEST_VO, SECRET_PATH);
    expect((await frank.me()).body.vault.status).toBe('missing');
  });

  it('when the Vault copy holds another password, then /api/me says out_of_sync', async () => {
    const frank = await stack().signIn('frank');
    stack().papi!.putSecret('frank-sub', TEST_VO, SECRET_PATH, {
      username: 'frank@example.org',
      password: 'stale-password-0000',
    });
    expect((await frank.me()).body.vault.status).toBe('out_of_sync');
  });
});

describe('when MLflow stops in the middle', () => {
  it('then registering answers 503 mlflow_unavailable and, once MLflow is back, nothing was half-created', async () => {
    const grace = await stack().signIn('grace');
    await stack().mlflow.stop();
    try {
      const res = await grace.register(FIRST);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('mlflow_unavailable');
      expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|fetch failed|127\.0\.0\.1/);
      const me = await grace.me();
      expect(me.status).toBe(503);
      expect(me.body.error.code).toBe('mlflow_unavailable');
      const ready = await fetch(`${stack().origin}/readyz`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.mlflow.ok).toBe(false);
    } finally {
      await stack().mlflow.restart();
    }
    expect(await mlflowUser(stack().mlflow, 'grace@example.org')).toBeNull();
    expect(stack().papi!.secretFor('grace-sub', TEST_VO, SECRET_PATH)).toBeUndefined();
    expect((await grace.register(FIRST)).status).toBe(201);
  });
});

describe('when the request is malformed', () => {
  let person: ApiSession;
  beforeAll(async () => {
    person = await stack().signIn('alice');
  });

  it('then invalid JSON answers 400 invalid_json', async () => {
    const res = await person.call('POST', '/api/me', undefined, { rawBody: '{"password": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });

  it('then a missing or non-string password answers 422 naming the field', async () => {
    for (const body of [{}, { password: 42 }, { pass: 'x' }]) {
      const res = await person.call('POST', '/api/me', body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.fields[0].field).toBe('password');
    }
  });

  it('then a short password, or the email as password, answers 422 weak_password with the reason', async () => {
    const short = await person.register('short-pass');
    expect(short.status).toBe(422);
    expect(short.body.error).toMatchObject({ code: 'weak_password', message: expect.stringMatching(/at least 12/) });
    const email = await person.register('alice@example.org');
    expect(email.body.error).toMatchObject({ code: 'weak_password', message: expect.stringMatching(/email/) });
    expect(await mlflowUser(stack().mlflow, 'alice@example.org')).toBeNull();
  });

  it('then a body over 16 KB answers 413, and a non-JSON body 415', async () => {
    const big = await person.call('POST', '/api/me', { password: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const form = await person.call('POST', '/api/me', undefined, {
      rawBody: 'password=abc',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
  });

  it('then an unknown API route answers 404 in the error shape', async () => {
    const res = await person.call('GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
