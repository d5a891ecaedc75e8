import { jest } from '@jest/globals';
import { alreadyRegistered, weakPassword } from '../errors.js';
import { UpstreamError } from '../http.js';
import type { CredentialCheck, MlflowUser } from '../mlflow/client.js';
import type { StoredCredentials } from '../secrets/papi-client.js';
import { refusalOf } from '../testing/refusal.js';
import { registryTestBed } from '../testing/registry-test-bed.js';
import { createAccountService, type AccountServiceDeps, type Person } from './service.js';

const MINUTE = 60_000;
const bed = registryTestBed();
const { start, clock } = bed;

const ADMIN = 'admin@example.org';
const ISSUER = 'https://idp.example.org';

const grace: Person = {
  issuer: ISSUER,
  subject: 'sub-grace',
  email: 'grace@example.org',
  accessToken: 'token-grace',
  eligible: true,
  requestId: 'req-grace',
};
/** Another sign-in presenting Grace's email: another provider, another `sub`. */
const impostor: Person = {
  issuer: 'https://other-idp.example.org',
  subject: 'sub-impostor',
  email: 'grace@example.org',
  accessToken: 'token-impostor',
  eligible: true,
};

const logger = { warn: jest.fn(), error: jest.fn() };

interface FakeUser extends MlflowUser {
  password: string;
}

/** MLflow's user API over a map: usernames compared exactly, as MLflow does. */
function fakeMlflow(seed: Array<{ username: string; password?: string; is_admin?: boolean }> = []) {
  const users = new Map<string, FakeUser>();
  let nextId = 1;
  const add = (username: string, password: string, isAdmin = false) => {
    const user = { id: nextId++, username, is_admin: isAdmin, password };
    users.set(username, user);
    return user;
  };
  for (const s of seed) add(s.username, s.password ?? 'old-mlflow-password', s.is_admin);
  const view = ({ id, username, is_admin }: FakeUser): MlflowUser => ({ id, username, is_admin });
  const client = {
    getUser: jest.fn(async (username: string): Promise<MlflowUser | null> => {
      const user = users.get(username);
      return user ? view(user) : null;
    }),
    createUser: jest.fn(async (username: string, password: string): Promise<MlflowUser> => {
      if (users.has(username)) throw alreadyRegistered();
      return view(add(username, password));
    }),
    updatePassword: jest.fn(async (username: string, password: string): Promise<void> => {
      const user = users.get(username);
      if (!user) throw new Error(`no user ${username}`);
      user.password = password;
    }),
    deleteUser: jest.fn(async (username: string): Promise<boolean> => users.delete(username)),
    checkCredentials: jest.fn(async (username: string, password: string): Promise<CredentialCheck> => {
      const user = users.get(username);
      return user?.password === password ? { ok: true, user: view(user) } : { ok: false, status: 401 };
    }),
  };
  return { client, users, passwordOf: (username: string) => users.get(username)?.password };
}
type FakeMlflow = ReturnType<typeof fakeMlflow>;

/** PAPI over a map keyed by access token: each person reaches only their own secret. */
function fakePapi(seed: Record<string, StoredCredentials> = {}) {
  const vault = new Map(Object.entries(seed));
  const client = {
    readCredentials: jest.fn(async (token: string): Promise<StoredCredentials | null> => vault.get(token) ?? null),
    writeCredentials: jest.fn(async (token: string, credentials: StoredCredentials): Promise<void> => {
      vault.set(token, { ...credentials });
    }),
    deleteCredentials: jest.fn(async (token: string): Promise<void> => {
      vault.delete(token);
    }),
  };
  return { client, vault };
}
type FakePapi = ReturnType<typeof fakePapi>;

const noGrants = async () => ({ releaseGrants: jest.fn(async () => undefined) });
const papiDown = () => new UpstreamError('PAPI', 500, 'boom');

function serviceWith(mlflow: FakeMlflow, papi: FakePapi | undefined, options: Partial<AccountServiceDeps> = {}) {
  return createAccountService({
    mlflow: mlflow.client,
    permissions: noGrants,
    papi: papi?.client,
    accounts: bed.registry.accounts,
    activity: bed.registry.activity,
    adminUsername: ADMIN,
    logger,
    supportContact: 'support@example.org',
    now: clock,
    ...options,
  });
}

/** Binds `username` to the person as if they had registered it before this test. */
async function owns(person: Person, username: string) {
  expect(await bed.registry.accounts.bind(person, username, 'registration')).toBe(true);
}

const bindingOf = (person: Person) => bed.registry.accounts.byIdentity(person);
const activityRows = () => bed.registry.database.db.selectFrom('activity').selectAll().orderBy('id').execute();

/** The refusal's status and code, with its message: this service words some of its answers for the person. */
async function codeOf(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  const { status, code, message } = await refusalOf(promise);
  return { status, code, message };
}

describe('account service: protected accounts', () => {
  it('when the signed-in email is the service admin account, then nothing is done to it', async () => {
    const mlflow = fakeMlflow([{ username: 'Admin@Example.org', is_admin: true }]);
    const service = serviceWith(mlflow, undefined);
    const admin = { ...grace, subject: 'sub-admin', email: 'Admin@Example.org' };
    expect((await service.status(admin)).ownership).toEqual({ status: 'protected', username: ADMIN });
    for (const attempt of [
      service.register(admin, 'x'.repeat(12)),
      service.claim(admin, 'x'.repeat(12)),
      service.changePassword(admin, 'x'.repeat(12)),
      service.deleteAccount(admin),
    ]) {
      expect(await codeOf(attempt)).toMatchObject({ status: 403, code: 'forbidden' });
    }
    expect(mlflow.client.createUser).not.toHaveBeenCalled();
    expect(mlflow.client.updatePassword).not.toHaveBeenCalled();
    expect(mlflow.client.deleteUser).not.toHaveBeenCalled();
    expect(mlflow.client.checkCredentials).not.toHaveBeenCalled();
  });

  it('when an operator bound the service admin account to someone, then it is still not managed here', async () => {
    const mlflow = fakeMlflow([{ username: ADMIN, is_admin: true }]);
    const service = serviceWith(mlflow, undefined);
    await owns(grace, ADMIN);
    expect(await codeOf(service.changePassword(grace, 'x'.repeat(12)))).toMatchObject({ code: 'forbidden' });
    expect(await codeOf(service.deleteAccount(grace))).toMatchObject({ code: 'forbidden' });
    expect(await codeOf(service.actingUsername(grace))).toMatchObject({ code: 'forbidden' });
    expect(mlflow.client.updatePassword).not.toHaveBeenCalled();
    expect(mlflow.client.deleteUser).not.toHaveBeenCalled();
  });

  it('when the email names an MLflow admin account, then it is protected: never registered, claimed or changed', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'admin-password-1', is_admin: true }]);
    const service = serviceWith(mlflow, fakePapi());
    expect(await service.status(grace)).toEqual({
      ownership: { status: 'protected', username: 'grace@example.org' },
      account: null,
      vault: null,
    });
    const claim = await codeOf(service.claim(grace, 'admin-password-1'));
    expect(claim).toMatchObject({ status: 403, code: 'forbidden' });
    expect(claim.message).toMatch(/grace@example\.org is an MLflow administrator account/);
    expect(await codeOf(service.register(grace, 'x'.repeat(12)))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await codeOf(service.changePassword(grace, 'x'.repeat(12)))).toMatchObject({ status: 403 });
    expect(mlflow.client.checkCredentials).not.toHaveBeenCalled();
    expect(await bindingOf(grace)).toBeUndefined();
  });
});

describe('account service: ownership', () => {
  it('when nobody has an account with the email, then it is none with the lower-cased username', async () => {
    const mlflow = fakeMlflow();
    expect(await serviceWith(mlflow, fakePapi()).status({ ...grace, email: 'Grace@Example.org' })).toEqual({
      ownership: { status: 'none', username: 'grace@example.org' },
      account: null,
      vault: 'missing',
    });
    expect((await serviceWith(mlflow, undefined).status(grace)).vault).toBe('disabled');
  });

  it('when an MLflow account with the email has no owner, then it is claimable and registering is refused', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org' }]);
    const service = serviceWith(mlflow, undefined);
    expect(await service.status(grace)).toEqual({
      ownership: { status: 'claimable', account: { id: 1, username: 'grace@example.org', is_admin: false } },
      account: null,
      vault: null,
    });
    const refusal = await codeOf(service.register(grace, 'x'.repeat(12)));
    expect(refusal).toMatchObject({ status: 409, code: 'already_registered' });
    expect(refusal.message).toMatch(/Claim it/);
    expect(mlflow.passwordOf('grace@example.org')).toBe('old-mlflow-password');
    expect(await bindingOf(grace)).toBeUndefined();
  });

  it('when the email has one spelling, then registering asks MLflow nothing before creating the user', async () => {
    const mlflow = fakeMlflow();
    await serviceWith(mlflow, undefined).register(grace, 'Grace-password-1');
    expect(mlflow.client.getUser).not.toHaveBeenCalled();
    expect(mlflow.client.createUser).toHaveBeenCalledTimes(1);
  });

  it('when the older service made the account with the provider’s capitals, then it is found and claimable as it is', async () => {
    const mlflow = fakeMlflow([{ username: 'Grace@Example.org' }]);
    const status = await serviceWith(mlflow, undefined).status({ ...grace, email: 'Grace@Example.org' });
    expect(status.ownership).toMatchObject({ status: 'claimable', account: { username: 'Grace@Example.org' } });
    expect(mlflow.client.getUser.mock.calls).toEqual([['grace@example.org'], ['Grace@Example.org']]);
  });

  it('when the account is bound to this identity, then it is owned, with the account and its Vault state', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org' }]);
    await owns(grace, 'grace@example.org');
    const status = await serviceWith(mlflow, fakePapi()).status(grace);
    expect(status.ownership).toMatchObject({ status: 'owned', binding: { username: 'grace@example.org' } });
    expect(status.account).toEqual({ id: 1, username: 'grace@example.org', is_admin: false });
    expect(status.vault).toBe('missing');
  });

  it('when the email is bound to another identity (in any letter case), then status tells nothing more and asks MLflow nothing', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org' }]);
    const papi = fakePapi();
    await owns(grace, 'grace@example.org');
    const service = serviceWith(mlflow, papi);
    expect(await service.status({ ...impostor, email: 'GRACE@example.org' })).toEqual({
      ownership: { status: 'owned_by_other_identity' },
      account: null,
      vault: null,
    });
    expect(mlflow.client.getUser).not.toHaveBeenCalled();
    expect(papi.client.readCredentials).not.toHaveBeenCalled();
  });

  it('when a second identity with the same email tries any change, then 409 account_owned_by_other_identity and MLflow and Vault are untouched', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    await service.register(grace, 'Grace-password-1');
    jest.clearAllMocks();
    for (const attempt of [
      service.register(impostor, 'x'.repeat(12)),
      service.claim(impostor, 'Grace-password-1'),
      service.changePassword(impostor, 'x'.repeat(12)),
      service.deleteAccount(impostor),
      service.actingUsername(impostor),
    ]) {
      const refusal = await codeOf(attempt);
      expect(refusal).toMatchObject({ status: 409, code: 'account_owned_by_other_identity' });
      expect(refusal.message).toMatch(/support@example\.org/);
    }
    for (const fn of Object.values(mlflow.client)) expect(fn).not.toHaveBeenCalled();
    expect(papi.client.writeCredentials).not.toHaveBeenCalled();
    expect(papi.client.deleteCredentials).not.toHaveBeenCalled();
    expect(mlflow.passwordOf('grace@example.org')).toBe('Grace-password-1');
    expect((await bindingOf(grace))?.username).toBe('grace@example.org');
  });

  it('when the owner’s email changed at the provider, then they keep their account under its username', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org' }]);
    await owns(grace, 'grace@example.org');
    const service = serviceWith(mlflow, undefined);
    const renamed = { ...grace, email: 'grace.hopper@example.org' };
    const status = await service.status(renamed);
    expect(status.ownership).toMatchObject({ status: 'owned', binding: { username: 'grace@example.org' } });
    expect(status.account?.username).toBe('grace@example.org');
    expect((await bindingOf(grace))?.email).toBe('grace.hopper@example.org');
    expect(await service.actingUsername(renamed)).toBe('grace@example.org');
    await service.changePassword(renamed, 'Renamed-password-1');
    expect(mlflow.passwordOf('grace@example.org')).toBe('Renamed-password-1');
    expect(mlflow.users.has('grace.hopper@example.org')).toBe(false);
  });

  it('when the owner is seen eligible, then the deprovisioning clock restarts at most every ten minutes', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org' }]);
    await owns(grace, 'grace@example.org');
    const service = serviceWith(mlflow, undefined);
    bed.time += 9 * MINUTE;
    await service.status(grace);
    expect((await bindingOf(grace))?.last_eligible_at).toBe(start);
    bed.time += MINUTE;
    await service.status(grace);
    expect((await bindingOf(grace))?.last_eligible_at).toBe(start + 10 * MINUTE);
    bed.time += MINUTE;
    await service.status({ ...grace, eligible: false });
    expect((await bindingOf(grace))?.last_eligible_at).toBe(start + 10 * MINUTE);
  });
});

describe('account service: register', () => {
  it('when someone registers, then the username is their lower-cased email, bound to them, with a Vault copy', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    const result = await service.register({ ...grace, email: 'Grace@Example.ORG' }, 'Grace-password-1');
    expect(result).toEqual({
      account: { id: 1, username: 'grace@example.org', is_admin: false },
      vault: 'in_sync',
      sharedWithYou: [],
    });
    expect(mlflow.client.createUser).toHaveBeenCalledWith('grace@example.org', 'Grace-password-1');
    expect(await bindingOf(grace)).toMatchObject({
      username: 'grace@example.org',
      email: 'Grace@Example.ORG',
      bound_by: 'registration',
    });
    expect(papi.vault.get('token-grace')).toEqual({ username: 'grace@example.org', password: 'Grace-password-1' });
    expect(await activityRows()).toMatchObject([
      {
        action: 'register',
        actor_issuer: ISSUER,
        actor_subject: 'sub-grace',
        actor_email: 'Grace@Example.ORG',
        target_type: 'account',
        target_id: 'grace@example.org',
        request_id: 'req-grace',
        outcome: 'ok',
      },
    ]);
  });

  it('when MLflow refuses (any mapped error), then the refusal is passed on, recorded, and Vault is not touched', async () => {
    const mlflow = fakeMlflow();
    mlflow.client.createUser.mockRejectedValueOnce(weakPassword('MLflow refused the password.'));
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    expect(await codeOf(service.register(grace, 'x'.repeat(12)))).toMatchObject({ status: 422, code: 'weak_password' });
    expect(papi.client.writeCredentials).not.toHaveBeenCalled();
    expect(await bindingOf(grace)).toBeUndefined();
    expect(await activityRows()).toMatchObject([{ action: 'register', outcome: 'weak_password' }]);
  });

  it('when the Vault write fails at registration, then the new MLflow user and its binding go again and 502 vault_failed', async () => {
    const order: string[] = [];
    const mlflow = fakeMlflow();
    mlflow.client.createUser.mockImplementationOnce(async (username) => {
      order.push('mlflow create');
      mlflow.users.set(username, { id: 1, username, is_admin: false, password: 'p' });
      return { id: 1, username, is_admin: false };
    });
    mlflow.client.deleteUser.mockImplementationOnce(async (username) => {
      order.push('mlflow delete');
      return mlflow.users.delete(username);
    });
    const papi = fakePapi();
    papi.client.writeCredentials.mockImplementationOnce(async () => {
      order.push(`vault write (bound: ${(await bindingOf(grace)) !== undefined})`);
      throw papiDown();
    });
    const service = serviceWith(mlflow, papi);
    expect(await codeOf(service.register(grace, 'x'.repeat(12)))).toMatchObject({ status: 502, code: 'vault_failed' });
    expect(order).toEqual(['mlflow create', 'vault write (bound: true)', 'mlflow delete']);
    expect(mlflow.users.size).toBe(0);
    expect(await bindingOf(grace)).toBeUndefined();
    expect(await activityRows()).toMatchObject([{ action: 'register', outcome: 'vault_failed' }]);
    expect((await service.status(grace)).ownership).toEqual({ status: 'none', username: 'grace@example.org' });
  });

  it('when the owner has an account already, then registering again is refused with 409 already_registered', async () => {
    const mlflow = fakeMlflow();
    const service = serviceWith(mlflow, undefined);
    await service.register(grace, 'Grace-password-1');
    expect(await codeOf(service.register(grace, 'Grace-password-2'))).toMatchObject({
      status: 409,
      code: 'already_registered',
    });
    expect(mlflow.client.createUser).toHaveBeenCalledTimes(1);
  });

  it('when an admin deleted the owner’s MLflow user, then status says none and registering makes the same username again', async () => {
    const mlflow = fakeMlflow();
    await owns({ ...grace, email: 'old@example.org' }, 'old@example.org');
    const service = serviceWith(mlflow, undefined);
    expect((await service.status(grace)).ownership).toEqual({ status: 'none', username: 'old@example.org' });
    await service.register(grace, 'Grace-password-1');
    expect(mlflow.client.createUser).toHaveBeenCalledWith('old@example.org', 'Grace-password-1');
    expect((await service.status(grace)).ownership).toMatchObject({ status: 'owned' });
  });

  it('when an admin deleted a disabled account and its owner registers again, then the new account is not disabled', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    await owns(grace, 'grace@example.org');
    await bed.registry.accounts.markDisabled('grace@example.org', 'inactive', true);
    const service = serviceWith(mlflow, papi);
    await service.register(grace, 'Grace-password-1');
    const status = await service.status(grace);
    expect(status.ownership).toMatchObject({ status: 'owned', binding: { disabled_at: null, disabled_reason: null } });
    expect(papi.vault.get('token-grace')).toEqual({ username: 'grace@example.org', password: 'Grace-password-1' });
    expect(status.vault).toBe('in_sync');
  });

  it('when another identity binds the username while MLflow creates it, then the new user is deleted again and 409', async () => {
    const mlflow = fakeMlflow();
    mlflow.client.createUser.mockImplementationOnce(async (username) => {
      await owns(impostor, username);
      return { id: 1, username, is_admin: false };
    });
    const service = serviceWith(mlflow, undefined);
    expect(await codeOf(service.register(grace, 'x'.repeat(12)))).toMatchObject({
      code: 'account_owned_by_other_identity',
    });
    expect(mlflow.client.deleteUser).toHaveBeenCalledWith('grace@example.org');
    expect((await bed.registry.accounts.byUsername('grace@example.org'))?.subject).toBe('sub-impostor');
  });
});

describe('account service: claim', () => {
  it('when the password is wrong, then 403 claim_password_incorrect, recorded, and nothing is bound', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'Right-password-1' }]);
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    expect(await codeOf(service.claim(grace, 'Wrong-password-1'))).toMatchObject({
      status: 403,
      code: 'claim_password_incorrect',
    });
    expect(await bindingOf(grace)).toBeUndefined();
    expect(papi.client.writeCredentials).not.toHaveBeenCalled();
    expect(await activityRows()).toMatchObject([
      {
        action: 'claim',
        target_id: 'grace@example.org',
        actor_subject: 'sub-grace',
        outcome: 'claim_password_incorrect',
      },
    ]);
  });

  it('when the password is right, then the account is bound to this identity and Vault gets the password', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'Right-password-1' }]);
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    expect(await service.claim(grace, 'Right-password-1')).toEqual({
      account: { id: 1, username: 'grace@example.org', is_admin: false },
      vault: 'in_sync',
      sharedWithYou: [],
    });
    expect(await bindingOf(grace)).toMatchObject({ username: 'grace@example.org', bound_by: 'claim' });
    expect(papi.vault.get('token-grace')).toEqual({ username: 'grace@example.org', password: 'Right-password-1' });
    expect(await activityRows()).toMatchObject([{ action: 'claim', outcome: 'ok' }]);
    expect((await service.status(grace)).ownership).toMatchObject({ status: 'owned' });
    expect(await codeOf(service.claim(impostor, 'Right-password-1'))).toMatchObject({
      code: 'account_owned_by_other_identity',
    });
  });

  it('when the Vault write after a claim fails, then the claim stands and the Vault copy is out_of_sync', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'Right-password-1' }]);
    const papi = fakePapi();
    papi.client.writeCredentials.mockRejectedValueOnce(papiDown());
    const result = await serviceWith(mlflow, papi).claim(grace, 'Right-password-1');
    expect(result.vault).toBe('out_of_sync');
    expect(await bindingOf(grace)).toMatchObject({ username: 'grace@example.org' });
  });

  it('when there is nothing to claim or the account is owned already, then 404 not_claimable or 409 already_registered', async () => {
    const mlflow = fakeMlflow();
    const service = serviceWith(mlflow, undefined);
    expect(await codeOf(service.claim(grace, 'x'))).toMatchObject({ status: 404, code: 'not_claimable' });
    await service.register(grace, 'Grace-password-1');
    expect(await codeOf(service.claim(grace, 'Grace-password-1'))).toMatchObject({
      status: 409,
      code: 'already_registered',
    });
  });

  it('when five wrong passwords came within 15 minutes, then the next attempt is 429 too_many_attempts without asking MLflow', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'Right-password-1' }]);
    const service = serviceWith(mlflow, undefined);
    for (let i = 0; i < 5; i++) {
      expect(await codeOf(service.claim(grace, `Wrong-password-${i}`))).toMatchObject({
        code: 'claim_password_incorrect',
      });
      bed.time += MINUTE;
    }
    mlflow.client.checkCredentials.mockClear();
    expect(await codeOf(service.claim(grace, 'Right-password-1'))).toMatchObject({
      status: 429,
      code: 'too_many_attempts',
    });
    expect(mlflow.client.checkCredentials).not.toHaveBeenCalled();
    // Another identity with the same email is counted on its own.
    expect(await codeOf(service.claim(impostor, 'Wrong-password-x'))).toMatchObject({
      code: 'claim_password_incorrect',
    });
    bed.time = start + 15 * MINUTE;
    expect(await codeOf(service.claim(grace, 'Right-password-1'))).toMatchObject({ code: 'too_many_attempts' });
    bed.time += 1;
    expect((await service.claim(grace, 'Right-password-1')).account.username).toBe('grace@example.org');
  });

  it('when the Vault copy signs in to an unowned account, then status binds it without the form', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'Vault-password-1' }]);
    const papi = fakePapi({ 'token-grace': { username: 'grace@example.org', password: 'Vault-password-1' } });
    const status = await serviceWith(mlflow, papi).status(grace);
    expect(status.ownership).toMatchObject({
      status: 'owned',
      binding: { username: 'grace@example.org', bound_by: 'vault' },
    });
    expect(status.account?.username).toBe('grace@example.org');
    expect(status.vault).toBe('in_sync');
    expect(mlflow.client.checkCredentials).toHaveBeenCalledTimes(1);
    expect(await activityRows()).toMatchObject([
      { action: 'claim', target_id: 'grace@example.org', actor_subject: 'sub-grace', outcome: 'ok' },
    ]);
  });

  it('when the Vault copy does not sign in, or the person is not eligible, then status binds nothing', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'Current-password-1' }]);
    const papi = fakePapi({ 'token-grace': { username: 'grace@example.org', password: 'Old-password-1' } });
    const service = serviceWith(mlflow, papi);
    expect((await service.status(grace)).ownership).toMatchObject({ status: 'claimable' });
    papi.vault.set('token-grace', { username: 'grace@example.org', password: 'Current-password-1' });
    expect((await service.status({ ...grace, eligible: false })).ownership).toMatchObject({ status: 'claimable' });
    expect(await bindingOf(grace)).toBeUndefined();
    expect(await activityRows()).toEqual([]);
  });
});

describe('account service: Vault status', () => {
  async function ownedWithVault(stored: StoredCredentials) {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'p'.repeat(12) }]);
    const papi = fakePapi({ 'token-grace': stored });
    await owns(grace, 'grace@example.org');
    return { mlflow, papi, service: serviceWith(mlflow, papi) };
  }

  it('when the stored secret names another user, then the status is out_of_sync without trying it', async () => {
    const { mlflow, service } = await ownedWithVault({ username: 'someone@else.org', password: 'p' });
    expect((await service.status(grace)).vault).toBe('out_of_sync');
    expect(mlflow.client.checkCredentials).not.toHaveBeenCalled();
  });

  it('when the Vault copy was checked once, then the next status asks MLflow nothing more than the account', async () => {
    const { mlflow, service } = await ownedWithVault({ username: 'grace@example.org', password: 'p'.repeat(12) });
    expect((await service.status(grace)).vault).toBe('in_sync');
    expect((await service.status(grace)).vault).toBe('in_sync');
    expect(mlflow.client.checkCredentials).toHaveBeenCalledTimes(1);
    expect(mlflow.client.getUser).toHaveBeenCalledTimes(2);
  });

  it('when the Vault copy changes content, then it is checked again', async () => {
    const { mlflow, papi, service } = await ownedWithVault({ username: 'grace@example.org', password: 'p'.repeat(12) });
    expect((await service.status(grace)).vault).toBe('in_sync');
    papi.vault.set('token-grace', { username: 'grace@example.org', password: 'q'.repeat(12) });
    expect((await service.status(grace)).vault).toBe('out_of_sync');
    expect(mlflow.client.checkCredentials).toHaveBeenCalledTimes(2);
  });

  it('when the password is changed through the service, then the remembered check is forgotten', async () => {
    const { mlflow, service } = await ownedWithVault({ username: 'grace@example.org', password: 'p'.repeat(12) });
    await service.status(grace);
    await service.changePassword(grace, 'p'.repeat(12));
    await service.status(grace);
    expect(mlflow.client.checkCredentials).toHaveBeenCalledTimes(2);
  });

  it('when PAPI cannot be read, then the status is unavailable and the account is still shown', async () => {
    const { papi, service } = await ownedWithVault({ username: 'grace@example.org', password: 'p'.repeat(12) });
    papi.client.readCredentials.mockRejectedValueOnce(papiDown());
    const status = await service.status(grace);
    expect(status.vault).toBe('unavailable');
    expect(status.account?.username).toBe('grace@example.org');
  });
});

describe('account service: change password', () => {
  it('when the owner sets a new password, then MLflow and Vault get it, recorded as password_change', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    await service.register(grace, 'Grace-password-1');
    await service.changePassword(grace, 'Grace-password-2');
    expect(mlflow.passwordOf('grace@example.org')).toBe('Grace-password-2');
    expect(papi.vault.get('token-grace')?.password).toBe('Grace-password-2');
    expect((await activityRows()).map((r) => [r.action, r.outcome])).toEqual([
      ['register', 'ok'],
      ['password_change', 'ok'],
    ]);
  });

  it('when the Vault copy did not sign in, then the new password is recorded as a vault_repair', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'Current-password-1' }]);
    const papi = fakePapi({ 'token-grace': { username: 'grace@example.org', password: 'Stale-password-1' } });
    await owns(grace, 'grace@example.org');
    const service = serviceWith(mlflow, papi);
    expect((await service.status(grace)).vault).toBe('out_of_sync');
    await service.changePassword(grace, 'Repaired-password-1');
    expect(await activityRows()).toMatchObject([{ action: 'vault_repair', outcome: 'ok' }]);
    expect((await service.status(grace)).vault).toBe('in_sync');
  });

  it('when the Vault write fails, then MLflow keeps the new password and 502 vault_out_of_sync is recorded', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org' }]);
    const papi = fakePapi();
    papi.client.writeCredentials.mockRejectedValueOnce(papiDown());
    await owns(grace, 'grace@example.org');
    const service = serviceWith(mlflow, papi);
    expect(await codeOf(service.changePassword(grace, 'Grace-password-2'))).toMatchObject({
      status: 502,
      code: 'vault_out_of_sync',
    });
    expect(mlflow.passwordOf('grace@example.org')).toBe('Grace-password-2');
    expect(await activityRows()).toMatchObject([{ action: 'password_change', outcome: 'vault_out_of_sync' }]);
  });

  it('when the person has no account, then 404 not_registered', async () => {
    const service = serviceWith(fakeMlflow(), undefined);
    expect(await codeOf(service.changePassword(grace, 'x'.repeat(12)))).toMatchObject({
      status: 404,
      code: 'not_registered',
    });
  });

  it('when the account is disabled, then a new password enables it again, recorded as reenable', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org', password: 'Random-unknown-1' }]);
    const papi = fakePapi();
    await owns(grace, 'grace@example.org');
    bed.time += MINUTE;
    await bed.registry.accounts.markDisabled('grace@example.org', 'inactive', false);
    bed.time += MINUTE;
    const service = serviceWith(mlflow, papi);
    await service.changePassword(grace, 'Grace-password-2');
    expect(await bindingOf(grace)).toMatchObject({
      disabled_at: null,
      disabled_reason: null,
      last_eligible_at: start + 2 * MINUTE,
    });
    expect(mlflow.passwordOf('grace@example.org')).toBe('Grace-password-2');
    expect(papi.vault.get('token-grace')).toEqual({ username: 'grace@example.org', password: 'Grace-password-2' });
    expect(await activityRows()).toMatchObject([
      { action: 'reenable', target_id: 'grace@example.org', actor_subject: 'sub-grace', outcome: 'ok' },
    ]);
  });
});

describe('account service: delete', () => {
  it('when deleting an account, then its grants are released before MLflow deletes the user', async () => {
    const order: string[] = [];
    const mlflow = fakeMlflow([{ username: 'grace@example.org' }]);
    mlflow.client.deleteUser.mockImplementationOnce(async () => {
      order.push('delete');
      return true;
    });
    const permissions = async () => ({
      releaseGrants: jest.fn(async () => {
        order.push('release');
      }),
    });
    await owns(grace, 'grace@example.org');
    await serviceWith(mlflow, undefined, { permissions }).deleteAccount(grace);
    expect(order).toEqual(['release', 'delete']);
  });

  it('when the account is deleted, then Vault goes first, then MLflow, then the binding: the email can register again', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    await service.register(grace, 'Grace-password-1');
    await service.deleteAccount(grace);
    expect(papi.vault.has('token-grace')).toBe(false);
    expect(mlflow.users.size).toBe(0);
    expect(await bindingOf(grace)).toBeUndefined();
    expect((await activityRows()).map((r) => [r.action, r.outcome])).toEqual([
      ['register', 'ok'],
      ['delete', 'ok'],
    ]);
    await service.register(impostor, 'Impostor-password-1');
    expect((await bindingOf(impostor))?.username).toBe('grace@example.org');
  });

  it('when the Vault delete fails, then nothing is deleted and 502 vault_failed', async () => {
    const mlflow = fakeMlflow([{ username: 'grace@example.org' }]);
    const papi = fakePapi({ 'token-grace': { username: 'grace@example.org', password: 'p' } });
    papi.client.deleteCredentials.mockRejectedValueOnce(papiDown());
    await owns(grace, 'grace@example.org');
    const service = serviceWith(mlflow, papi);
    expect(await codeOf(service.deleteAccount(grace))).toMatchObject({ status: 502, code: 'vault_failed' });
    expect(mlflow.client.deleteUser).not.toHaveBeenCalled();
    expect(await bindingOf(grace)).toBeDefined();
    expect(await activityRows()).toMatchObject([{ action: 'delete', outcome: 'vault_failed' }]);
  });

  it('when the person has no account but a Vault copy, then deleting removes the copy', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi({ 'token-grace': { username: 'grace@example.org', password: 'p' } });
    await serviceWith(mlflow, papi).deleteAccount(grace);
    expect(papi.vault.has('token-grace')).toBe(false);
    expect(mlflow.client.deleteUser).not.toHaveBeenCalled();
  });
});

describe('account service: deprovisioning', () => {
  it('when DEPROVISION_ON_INELIGIBLE is set and the owner signs in ineligible, then status disables the account', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi, { deprovisionOnIneligible: true });
    await service.register(grace, 'Grace-password-1');
    bed.time += MINUTE;
    const status = await service.status({ ...grace, eligible: false, requestId: 'req-2' });

    const random = mlflow.passwordOf('grace@example.org')!;
    expect(mlflow.client.updatePassword).toHaveBeenCalledWith('grace@example.org', random);
    expect(random).not.toBe('Grace-password-1');
    expect(random.length).toBeGreaterThanOrEqual(32);
    expect(papi.client.deleteCredentials).toHaveBeenCalledWith('token-grace');
    expect(papi.vault.has('token-grace')).toBe(false);
    expect(await bindingOf(grace)).toMatchObject({
      disabled_at: start + MINUTE,
      disabled_reason: 'ineligible',
      vault_cleanup_pending: 0,
    });
    expect(status.ownership).toMatchObject({ status: 'owned', binding: { disabled_reason: 'ineligible' } });
    expect(status.vault).toBe('missing');
    expect((await activityRows()).at(-1)).toMatchObject({
      action: 'deprovision',
      detail: 'ineligible',
      actor_issuer: null,
      actor_subject: null,
      actor_email: null,
      target_type: 'account',
      target_id: 'grace@example.org',
      request_id: 'req-2',
      outcome: 'ok',
    });

    mlflow.client.updatePassword.mockClear();
    await service.status({ ...grace, eligible: false });
    expect(mlflow.client.updatePassword).not.toHaveBeenCalled();
  });

  it('when DEPROVISION_ON_INELIGIBLE is not set, then an ineligible owner’s account stays as it is', async () => {
    const mlflow = fakeMlflow();
    const service = serviceWith(mlflow, undefined);
    await service.register(grace, 'Grace-password-1');
    await service.status({ ...grace, eligible: false });
    expect(mlflow.passwordOf('grace@example.org')).toBe('Grace-password-1');
    expect((await bindingOf(grace))?.disabled_at).toBeNull();
  });

  it('when the sweep disabled an account, then its Vault copy is removed at the owner’s next visit', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    await service.register(grace, 'Grace-password-1');
    await service.disableInactive((await bindingOf(grace))!);
    expect(await bindingOf(grace)).toMatchObject({ disabled_reason: 'inactive', vault_cleanup_pending: 1 });
    expect(papi.client.deleteCredentials).not.toHaveBeenCalled();
    expect((await activityRows()).at(-1)).toMatchObject({ action: 'deprovision', detail: 'inactive', outcome: 'ok' });

    papi.client.deleteCredentials.mockRejectedValueOnce(papiDown());
    await service.status(grace);
    expect((await bindingOf(grace))?.vault_cleanup_pending).toBe(1);
    expect(papi.vault.has('token-grace')).toBe(true);

    const status = await service.status(grace);
    expect(papi.client.deleteCredentials).toHaveBeenLastCalledWith('token-grace');
    expect(papi.vault.has('token-grace')).toBe(false);
    expect((await bindingOf(grace))?.vault_cleanup_pending).toBe(0);
    expect(status.vault).toBe('missing');
  });

  it('when the owner re-enables before the pending Vault cleanup ran, then the next visit keeps the new Vault copy', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    await service.register(grace, 'Grace-password-1');
    await service.disableInactive((await bindingOf(grace))!);
    await service.changePassword(grace, 'Grace-password-2');
    const status = await service.status(grace);
    expect(papi.vault.get('token-grace')).toEqual({ username: 'grace@example.org', password: 'Grace-password-2' });
    expect(status.vault).toBe('in_sync');
    expect((await activityRows()).map((r) => r.action)).toEqual(['register', 'deprovision', 'reenable']);
  });

  it('when the sweep runs without Vault, then no cleanup is left pending', async () => {
    const mlflow = fakeMlflow();
    const service = serviceWith(mlflow, undefined);
    await service.register(grace, 'Grace-password-1');
    await service.disableInactive((await bindingOf(grace))!);
    expect(await bindingOf(grace)).toMatchObject({ disabled_reason: 'inactive', vault_cleanup_pending: 0 });
    expect(mlflow.passwordOf('grace@example.org')).not.toBe('Grace-password-1');
  });

  it('when an admin deleted the MLflow user meanwhile, then the sweep marks the binding disabled once instead of failing every round', async () => {
    const mlflow = fakeMlflow();
    const service = serviceWith(mlflow, undefined);
    await service.register(grace, 'Grace-password-1');
    mlflow.users.delete('grace@example.org');

    await service.disableInactive((await bindingOf(grace))!);

    expect(await bindingOf(grace)).toMatchObject({ disabled_reason: 'inactive' });
    expect((await activityRows()).map((r) => [r.action, r.outcome])).toEqual([
      ['register', 'ok'],
      ['deprovision', 'ok'],
    ]);
  });
});

describe('account service: the activity log', () => {
  it('when another sign-in tries to register, claim, change or delete an owned account, then each refusal is in that account’s history', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi);
    await service.register(grace, 'Register-secret-1');

    const attempts = [
      () => service.register(impostor, 'Impostor-secret-1'),
      () => service.claim(impostor, 'Impostor-secret-2'),
      () => service.changePassword(impostor, 'Impostor-secret-3'),
      () => service.deleteAccount(impostor),
    ];
    for (const attempt of attempts) {
      expect(await codeOf(attempt())).toMatchObject({ code: 'account_owned_by_other_identity' });
    }

    const refusals = (await activityRows()).filter((r) => r.actor_subject === 'sub-impostor');
    expect(refusals.map((r) => [r.action, r.target_id, r.outcome])).toEqual([
      ['register', 'grace@example.org', 'account_owned_by_other_identity'],
      ['claim', 'grace@example.org', 'account_owned_by_other_identity'],
      ['password_change', 'grace@example.org', 'account_owned_by_other_identity'],
      ['delete', 'grace@example.org', 'account_owned_by_other_identity'],
    ]);
    expect(mlflow.passwordOf('grace@example.org')).toBe('Register-secret-1');
  });

  it('when accounts go through their whole lifecycle, then no record holds a password or a token in any column', async () => {
    const mlflow = fakeMlflow([{ username: 'alan@example.org', password: 'Alan-claim-secret-1' }]);
    const papi = fakePapi();
    const service = serviceWith(mlflow, papi, { deprovisionOnIneligible: true });
    const alan = { ...grace, subject: 'sub-alan', email: 'alan@example.org', accessToken: 'token-alan' };

    await service.register(grace, 'Register-secret-1');
    await service.changePassword(grace, 'Change-secret-2');
    await codeOf(service.claim(alan, 'Wrong-claim-secret-3'));
    await service.claim(alan, 'Alan-claim-secret-1');
    await service.status({ ...alan, eligible: false });
    const random = mlflow.passwordOf('alan@example.org')!;
    await service.changePassword(alan, 'Reenable-secret-4');
    papi.vault.set('token-grace', { username: 'grace@example.org', password: 'Stale-secret-5' });
    await service.status(grace);
    await service.changePassword(grace, 'Repair-secret-6');
    await service.deleteAccount(grace);

    const rows = await activityRows();
    expect(rows.map((r) => r.action)).toEqual([
      'register',
      'password_change',
      'claim',
      'claim',
      'deprovision',
      'reenable',
      'vault_repair',
      'delete',
    ]);
    const secrets = [
      'Register-secret-1',
      'Change-secret-2',
      'Wrong-claim-secret-3',
      'Alan-claim-secret-1',
      random,
      'Reenable-secret-4',
      'Stale-secret-5',
      'Repair-secret-6',
      'token-grace',
      'token-alan',
    ];
    for (const row of rows) {
      for (const value of Object.values(row)) {
        for (const secret of secrets) expect(String(value)).not.toContain(secret);
      }
    }
  });
});
