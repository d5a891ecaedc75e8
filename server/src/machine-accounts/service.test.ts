import { jest } from '@jest/globals';
import { alreadyRegistered, AppError } from '../errors.js';
import { UpstreamError } from '../http.js';
import { createAccountService, type Person } from '../account/service.js';
import type { MlflowUser } from '../mlflow/client.js';
import { machineAccountSecretPath, type StoredCredentials } from '../secrets/papi-client.js';
import { codeOf } from '../testing/refusal.js';
import { registryTestBed } from '../testing/registry-test-bed.js';
import { createMachineAccountService, type MachineAccountServiceDeps } from './service.js';

const bed = registryTestBed();
const { start, clock } = bed;

const SECRET_PATH = '/services/mlflow/credentials';
const ADA = 'ada@example.org';
const ada: Person = {
  issuer: 'https://idp.example.org',
  subject: 'sub-ada',
  email: ADA,
  accessToken: 'token-ada',
  eligible: true,
  requestId: 'req-ada',
};

const logger = { warn: jest.fn(), error: jest.fn() };

/** MLflow's user API over a map, passwords included so that tests can say which one works. */
function fakeMlflow(seed: string[] = []) {
  const users = new Map<string, { id: number; password: string }>();
  let nextId = 1;
  for (const username of seed) users.set(username, { id: nextId++, password: 'made-by-hand-123' });
  const view = (username: string): MlflowUser => ({ id: users.get(username)!.id, username, is_admin: false });
  return {
    users,
    passwordOf: (username: string) => users.get(username)?.password,
    client: {
      getUser: jest.fn(async (username: string) => (users.has(username) ? view(username) : null)),
      createUser: jest.fn(async (username: string, password: string) => {
        if (users.has(username)) throw alreadyRegistered();
        users.set(username, { id: nextId++, password });
        return view(username);
      }),
      updatePassword: jest.fn(async (username: string, password: string) => {
        const user = users.get(username);
        if (!user) throw new UpstreamError('MLflow', 404, 'no such user', {});
        user.password = password;
      }),
      deleteUser: jest.fn(async (username: string) => users.delete(username)),
      checkCredentials: jest.fn(async (username: string, password: string) =>
        users.get(username)?.password === password
          ? { ok: true as const, user: view(username) }
          : { ok: false as const, status: 401 },
      ),
    },
  };
}

/** PAPI over a map keyed by token and path: each person reaches only their own secrets. */
function fakePapi() {
  const vault = new Map<string, StoredCredentials>();
  const key = (token: string, path = SECRET_PATH) => `${token} ${path}`;
  return {
    vault,
    secret: (token: string, path: string) => vault.get(key(token, path)),
    client: {
      readCredentials: jest.fn(async (token: string) => vault.get(key(token)) ?? null),
      writeCredentials: jest.fn(async (token: string, credentials: StoredCredentials, path?: string) => {
        vault.set(key(token, path), { ...credentials });
      }),
      deleteCredentials: jest.fn(async (token: string, path?: string) => {
        vault.delete(key(token, path));
      }),
    },
  };
}

const papiDown = () => new UpstreamError('PAPI', 500, 'boom', 'Internal Server Error');
const vaultPath = (label: string) => machineAccountSecretPath(SECRET_PATH, label);

let passwords: number;

beforeEach(async () => {
  passwords = 0;
  expect(await bed.registry.accounts.bind(ada, ADA, 'registration')).toBe(true);
});

function serviceWith(
  mlflow: ReturnType<typeof fakeMlflow>,
  papi: ReturnType<typeof fakePapi> | undefined,
  options: Partial<MachineAccountServiceDeps> = {},
) {
  const releaseGrants = jest.fn(async (_username: string) => undefined);
  const service = createMachineAccountService({
    mlflow: mlflow.client,
    permissions: async () => ({ releaseGrants }),
    papi: papi?.client,
    vaultPath,
    registry: bed.registry.machineAccounts,
    activity: bed.registry.activity,
    limit: 3,
    logger,
    newPassword: () => `generated-password-${++passwords}`.padEnd(32, 'x'),
    ...options,
  });
  return { service, releaseGrants };
}

const activity = () =>
  bed.registry.database.db
    .selectFrom('activity')
    .select(['action', 'target_type', 'target_id', 'outcome', 'actor_subject', 'detail'])
    .orderBy('id')
    .execute();

describe('machine accounts: create', () => {
  it('when a label is free, then MLflow gets <owner>/<label> with the shown password, Vault a copy at its own path, and the log a record', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const { service } = serviceWith(mlflow, papi);

    const created = await service.create(ada, ADA, 'ci-nightly');

    expect(created).toEqual({
      account: {
        username: `${ADA}/ci-nightly`,
        label: 'ci-nightly',
        createdAt: start,
        rotatedAt: null,
        disabledAt: null,
      },
      password: expect.stringMatching(/^generated-password-1/),
      vault: 'in_sync',
    });
    expect(mlflow.passwordOf(`${ADA}/ci-nightly`)).toBe(created.password);
    expect(papi.secret('token-ada', '/services/mlflow/machine-accounts/ci-nightly')).toEqual({
      username: `${ADA}/ci-nightly`,
      password: created.password,
    });
    expect(papi.secret('token-ada', SECRET_PATH)).toBeUndefined();
    expect(await service.list(ADA)).toEqual([created.account]);
    expect(await activity()).toEqual([
      {
        action: 'machine_create',
        target_type: 'machine_account',
        target_id: `${ADA}/ci-nightly`,
        outcome: 'ok',
        actor_subject: 'sub-ada',
        detail: null,
      },
    ]);
  });

  it('when no password is given to the service, then it makes a strong one: 32 base64url characters, different each time', async () => {
    const mlflow = fakeMlflow([ADA]);
    const { service } = serviceWith(mlflow, undefined, { newPassword: undefined });
    const a = await service.create(ada, ADA, 'one');
    const b = await service.create(ada, ADA, 'two');
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(b.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.password).not.toBe(b.password);
    expect(a.vault).toBeNull();
  });

  it('when the label is taken already, then 409 machine_account_exists and MLflow is not asked', async () => {
    const mlflow = fakeMlflow([ADA]);
    const { service } = serviceWith(mlflow, undefined);
    await service.create(ada, ADA, 'ci');
    mlflow.client.createUser.mockClear();

    expect(await codeOf(service.create(ada, ADA, 'ci'))).toEqual({ status: 409, code: 'machine_account_exists' });
    expect(mlflow.client.createUser).not.toHaveBeenCalled();
    expect((await service.list(ADA)).map((a) => a.label)).toEqual(['ci']);
  });

  it('when MLflow already has a user of that name (made by hand), then 409 machine_account_exists, it is untouched and no row stays', async () => {
    const mlflow = fakeMlflow([ADA, `${ADA}/ci`]);
    const { service } = serviceWith(mlflow, fakePapi());

    expect(await codeOf(service.create(ada, ADA, 'ci'))).toEqual({ status: 409, code: 'machine_account_exists' });
    expect(mlflow.passwordOf(`${ADA}/ci`)).toBe('made-by-hand-123');
    expect(await service.list(ADA)).toEqual([]);
    expect((await activity()).map((r) => r.outcome)).toEqual(['machine_account_exists']);
  });

  it('when the owner has as many as the limit, then 409 machine_account_limit; deleting one makes room', async () => {
    const mlflow = fakeMlflow([ADA]);
    const { service } = serviceWith(mlflow, undefined, { limit: 2 });
    await service.create(ada, ADA, 'a');
    await service.create(ada, ADA, 'b');

    expect(await codeOf(service.create(ada, ADA, 'c'))).toEqual({ status: 409, code: 'machine_account_limit' });
    expect(mlflow.users.has(`${ADA}/c`)).toBe(false);

    await service.remove(ada, ADA, 'a');
    await service.create(ada, ADA, 'c');
    expect((await service.list(ADA)).map((a) => a.label)).toEqual(['b', 'c']);
  });

  it('when two creations race for the last place, then at most the limit exist', async () => {
    const mlflow = fakeMlflow([ADA]);
    const { service } = serviceWith(mlflow, undefined, { limit: 1 });
    const outcomes = await Promise.allSettled([service.create(ada, ADA, 'a'), service.create(ada, ADA, 'b')]);
    expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBeLessThanOrEqual(1);
    expect((await service.list(ADA)).length).toBeLessThanOrEqual(1);
    expect(mlflow.users.size - 1).toBe((await service.list(ADA)).length);
  });

  it('when the limit is 0, then 403 machine_accounts_disabled and nothing is made', async () => {
    const mlflow = fakeMlflow([ADA]);
    const { service } = serviceWith(mlflow, undefined, { limit: 0 });
    expect(await codeOf(service.create(ada, ADA, 'ci'))).toEqual({ status: 403, code: 'machine_accounts_disabled' });
    expect(mlflow.client.createUser).not.toHaveBeenCalled();
    expect(service.limit).toBe(0);
  });

  it('when MLflow fails, then the error is answered and the label is free again', async () => {
    const mlflow = fakeMlflow([ADA]);
    const { service } = serviceWith(mlflow, undefined);
    mlflow.client.createUser.mockRejectedValueOnce(new AppError(503, 'mlflow_unavailable', 'down'));
    expect(await codeOf(service.create(ada, ADA, 'ci'))).toEqual({ status: 503, code: 'mlflow_unavailable' });
    expect(await service.list(ADA)).toEqual([]);
    await service.create(ada, ADA, 'ci');
  });

  it('when the Vault write fails, then the machine account stays (MLflow has it) and the answer says out_of_sync', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const { service } = serviceWith(mlflow, papi);
    papi.client.writeCredentials.mockRejectedValueOnce(papiDown());

    const created = await service.create(ada, ADA, 'ci');

    expect(created.vault).toBe('out_of_sync');
    expect(mlflow.passwordOf(`${ADA}/ci`)).toBe(created.password);
    expect(await service.list(ADA)).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalled();
  });
});

describe('machine accounts: rotate', () => {
  it('when rotated, then MLflow has the new password only, Vault its copy, and rotated_at is set', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const { service } = serviceWith(mlflow, papi);
    const created = await service.create(ada, ADA, 'ci');
    bed.time += 60_000;

    const rotated = await service.rotate(ada, ADA, 'ci');

    expect(rotated.password).not.toBe(created.password);
    expect(rotated.vault).toBe('in_sync');
    expect(mlflow.passwordOf(`${ADA}/ci`)).toBe(rotated.password);
    expect(papi.secret('token-ada', vaultPath('ci'))?.password).toBe(rotated.password);
    expect((await service.list(ADA))[0]).toMatchObject({ rotatedAt: start + 60_000, disabledAt: null });
    expect((await activity()).map((r) => r.action)).toEqual(['machine_create', 'machine_rotate']);
  });

  it('when Vault failed at creation, then rotating writes the copy again (in_sync)', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const { service } = serviceWith(mlflow, papi);
    papi.client.writeCredentials.mockRejectedValueOnce(papiDown());
    expect((await service.create(ada, ADA, 'ci')).vault).toBe('out_of_sync');

    const rotated = await service.rotate(ada, ADA, 'ci');

    expect(rotated.vault).toBe('in_sync');
    expect(papi.secret('token-ada', vaultPath('ci'))).toEqual({ username: `${ADA}/ci`, password: rotated.password });
  });

  it('when the label is not one of the owner’s, then 404 machine_account_not_found', async () => {
    const { service } = serviceWith(fakeMlflow([ADA]), undefined);
    expect(await codeOf(service.rotate(ada, ADA, 'nope'))).toEqual({ status: 404, code: 'machine_account_not_found' });
  });

  it('when an admin deleted the MLflow user, then rotating makes it again with the new password', async () => {
    const mlflow = fakeMlflow([ADA]);
    const { service } = serviceWith(mlflow, undefined);
    await service.create(ada, ADA, 'ci');
    mlflow.users.delete(`${ADA}/ci`);

    const rotated = await service.rotate(ada, ADA, 'ci');

    expect(mlflow.passwordOf(`${ADA}/ci`)).toBe(rotated.password);
  });

  it('when the feature was turned off, then rotating is refused but deleting still works', async () => {
    const mlflow = fakeMlflow([ADA]);
    await serviceWith(mlflow, undefined).service.create(ada, ADA, 'ci');
    const { service } = serviceWith(mlflow, undefined, { limit: 0 });

    expect(await codeOf(service.rotate(ada, ADA, 'ci'))).toEqual({ status: 403, code: 'machine_accounts_disabled' });
    expect((await service.list(ADA)).map((a) => a.label)).toEqual(['ci']);
    await service.remove(ada, ADA, 'ci');
    expect(await service.list(ADA)).toEqual([]);
  });
});

describe('machine accounts: delete', () => {
  it('when deleted, then the Vault copy goes first, then the grants, the MLflow user and the row', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const { service, releaseGrants } = serviceWith(mlflow, papi);
    await service.create(ada, ADA, 'ci');

    await service.remove(ada, ADA, 'ci');

    expect(papi.secret('token-ada', vaultPath('ci'))).toBeUndefined();
    expect(releaseGrants).toHaveBeenCalledWith(`${ADA}/ci`);
    expect(mlflow.users.has(`${ADA}/ci`)).toBe(false);
    expect(await service.list(ADA)).toEqual([]);
    expect((await activity()).map((r) => [r.action, r.outcome])).toEqual([
      ['machine_create', 'ok'],
      ['machine_delete', 'ok'],
    ]);
  });

  it('when the Vault delete fails, then 502 vault_failed and nothing is deleted', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const { service } = serviceWith(mlflow, papi);
    await service.create(ada, ADA, 'ci');
    papi.client.deleteCredentials.mockRejectedValueOnce(papiDown());

    expect(await codeOf(service.remove(ada, ADA, 'ci'))).toEqual({ status: 502, code: 'vault_failed' });
    expect(mlflow.users.has(`${ADA}/ci`)).toBe(true);
    expect(await service.list(ADA)).toHaveLength(1);
  });

  it('when the MLflow user is already gone, then the row and the Vault copy still go', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const { service } = serviceWith(mlflow, papi);
    await service.create(ada, ADA, 'ci');
    mlflow.users.delete(`${ADA}/ci`);

    await service.remove(ada, ADA, 'ci');

    expect(await service.list(ADA)).toEqual([]);
    expect(papi.secret('token-ada', vaultPath('ci'))).toBeUndefined();
  });
});

describe('machine accounts go with their owner', () => {
  function accountServiceWith(
    mlflow: ReturnType<typeof fakeMlflow>,
    papi: ReturnType<typeof fakePapi> | undefined,
    machine: ReturnType<typeof serviceWith>,
  ) {
    return createAccountService({
      mlflow: mlflow.client,
      permissions: async () => ({ releaseGrants: machine.releaseGrants }),
      papi: papi?.client,
      accounts: bed.registry.accounts,
      activity: bed.registry.activity,
      adminUsername: 'admin',
      logger,
      now: clock,
      machineAccounts: machine.service,
    });
  }

  it('when the owner deletes their account, then each machine account is deleted first (MLflow, grants, Vault, row)', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const machine = serviceWith(mlflow, papi);
    await machine.service.create(ada, ADA, 'a');
    await machine.service.create(ada, ADA, 'b');

    await accountServiceWith(mlflow, papi, machine).deleteAccount(ada);

    expect([...mlflow.users.keys()]).toEqual([]);
    expect(machine.releaseGrants.mock.calls.map(([u]) => u)).toEqual([`${ADA}/a`, `${ADA}/b`, ADA]);
    expect(papi.vault.size).toBe(0);
    expect(await bed.registry.machineAccounts.ofOwner(ADA)).toEqual([]);
    expect((await activity()).map((r) => `${r.action} ${r.target_id}`)).toEqual([
      `machine_create ${ADA}/a`,
      `machine_create ${ADA}/b`,
      `machine_delete ${ADA}/a`,
      `machine_delete ${ADA}/b`,
      `delete ${ADA}`,
    ]);
  });

  it('when a machine account’s Vault copy cannot be removed, then the owner’s account stays, and deleting again finishes', async () => {
    const mlflow = fakeMlflow([ADA]);
    const papi = fakePapi();
    const machine = serviceWith(mlflow, papi);
    await machine.service.create(ada, ADA, 'a');
    const accounts = accountServiceWith(mlflow, papi, machine);
    papi.client.deleteCredentials.mockRejectedValueOnce(papiDown());

    expect(await codeOf(accounts.deleteAccount(ada))).toEqual({ status: 502, code: 'vault_failed' });
    expect(mlflow.users.has(ADA)).toBe(true);
    expect(mlflow.users.has(`${ADA}/a`)).toBe(true);

    await accounts.deleteAccount(ada);
    expect(mlflow.users.size).toBe(0);
  });

  it('when the owner is disabled, then each machine account gets a password nobody knows and is marked disabled by the service; rotating enables it again', async () => {
    const mlflow = fakeMlflow([ADA]);
    const machine = serviceWith(mlflow, undefined);
    const created = await machine.service.create(ada, ADA, 'ci');
    bed.time += 60_000;

    await accountServiceWith(mlflow, undefined, machine).disableInactive(
      (await bed.registry.accounts.byIdentity(ada))!,
    );

    expect(mlflow.passwordOf(`${ADA}/ci`)).not.toBe(created.password);
    expect((await machine.service.list(ADA))[0]?.disabledAt).toBe(start + 60_000);
    expect((await bed.registry.accounts.byIdentity(ada))?.disabled_at).toBe(start + 60_000);
    const rows = await activity();
    expect(rows.find((r) => r.action === 'machine_disable')).toEqual({
      action: 'machine_disable',
      target_type: 'machine_account',
      target_id: `${ADA}/ci`,
      outcome: 'ok',
      actor_subject: null,
      detail: 'inactive',
    });

    const rotated = await machine.service.rotate(ada, ADA, 'ci');
    expect(mlflow.passwordOf(`${ADA}/ci`)).toBe(rotated.password);
    expect((await machine.service.list(ADA))[0]?.disabledAt).toBeNull();
  });

  it('when disabling a machine account fails, then the owner is not marked disabled, and the next round finishes both', async () => {
    const mlflow = fakeMlflow([ADA]);
    const machine = serviceWith(mlflow, undefined);
    await machine.service.create(ada, ADA, 'ci');
    const accounts = accountServiceWith(mlflow, undefined, machine);
    const binding = (await bed.registry.accounts.byIdentity(ada))!;
    mlflow.client.updatePassword
      .mockImplementationOnce(async (username: string, password: string) => {
        mlflow.users.get(username)!.password = password;
      })
      .mockRejectedValueOnce(new AppError(503, 'mlflow_unavailable', 'down'));

    expect(await codeOf(accounts.disableInactive(binding))).toEqual({ status: 503, code: 'mlflow_unavailable' });
    expect((await bed.registry.accounts.byIdentity(ada))?.disabled_at).toBeNull();

    await accounts.disableInactive(binding);
    expect((await bed.registry.accounts.byIdentity(ada))?.disabled_at).not.toBeNull();
    expect((await machine.service.list(ADA))[0]?.disabledAt).not.toBeNull();
  });
});

describe('the owner’s activity page', () => {
  it('when records are about the owner’s machine accounts (deleted ones too), then the owner reads them, and nobody else', async () => {
    const mlflow = fakeMlflow([ADA]);
    const machine = serviceWith(mlflow, undefined);
    await machine.service.create(ada, ADA, 'ci');
    await machine.service.disableAllOf(ADA, 'inactive');
    await machine.service.remove(ada, ADA, 'ci');
    await bed.registry.activity.record({
      actor: { issuer: 'https://idp.example.org', subject: 'sub-bob', email: 'bob@example.org' },
      action: 'share_grant',
      target: { type: 'experiment', id: '7' },
      subject: `${ADA}/ci`,
      permission: 'READ',
      outcome: 'ok',
    });
    await bed.registry.activity.record({
      actor: { issuer: 'https://idp.example.org', subject: 'sub-bob', email: 'bob@example.org' },
      action: 'machine_create',
      target: { type: 'machine_account', id: 'bob@example.org/ci' },
      outcome: 'ok',
    });
    const someone = { issuer: 'https://idp.example.org', subject: 'sub-someone' };

    const ownerPage = await bed.registry.activity.page(
      { actor: someone, username: ADA, managed: [], machineAccountsOf: ADA },
      { limit: 50 },
    );
    const withoutMachines = await bed.registry.activity.page(
      { actor: someone, username: ADA, managed: [] },
      { limit: 50 },
    );
    const prefixOnly = await bed.registry.activity.page(
      { actor: someone, username: 'ada@example.or', managed: [], machineAccountsOf: 'ada@example.or' },
      { limit: 50 },
    );

    expect(ownerPage.map((r) => r.action)).toEqual([
      'share_grant',
      'machine_delete',
      'machine_disable',
      'machine_create',
    ]);
    expect(withoutMachines).toEqual([]);
    expect(prefixOnly).toEqual([]);
  });
});
