import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, fakeBff, json, meFixture, reauthenticationFixture } from '../../testing/fakeBff';
import type { MachineAccount } from '../../api';
import { useAccountStore } from '../account';
import { useMachineAccountsStore } from '../machineAccounts';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const CI: MachineAccount = {
  username: 'ada@example.org/ci',
  label: 'ci',
  created_at: '2026-11-30T12:00:00.000Z',
  rotated_at: null,
  disabled: true,
};

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('machine accounts store', () => {
  it('when loaded, then it holds the list, the limit and the usernames; ensureLoaded asks once', async () => {
    const bff = fakeBff({ 'GET /api/me/machine-accounts': json(200, { limit: 5, machine_accounts: [CI] }) });
    const store = useMachineAccountsStore();

    await store.ensureLoaded();
    await store.ensureLoaded();

    expect(store.list).toEqual([CI]);
    expect(store.limit).toBe(5);
    expect(store.usernames).toEqual(['ada@example.org/ci']);
    expect(bff.callsTo('GET /api/me/machine-accounts')).toHaveLength(1);
  });

  it('when loading fails, then it does not reject: the error is state', async () => {
    fakeBff({ 'GET /api/me/machine-accounts': apiError(503, 'mlflow_unavailable', 'MLflow is down.') });
    const store = useMachineAccountsStore();
    await store.load();
    expect(store.loaded).toBe(false);
    expect(store.error?.code).toBe('mlflow_unavailable');
  });

  it('when one is made, then the label is sent, the list grows and the password is returned but not kept', async () => {
    const made = {
      ...CI,
      label: 'etl',
      username: 'ada@example.org/etl',
      disabled: false,
      password: 'p'.repeat(32),
      vault: null,
    };
    const bff = fakeBff({
      'GET /api/me/machine-accounts': json(200, { limit: 5, machine_accounts: [] }),
      'POST /api/me/machine-accounts': json(201, made),
    });
    const store = useMachineAccountsStore();
    await store.load();

    expect((await store.create('etl')).password).toBe('p'.repeat(32));

    expect(bff.callsTo('POST /api/me/machine-accounts')[0]!.body).toEqual({ label: 'etl' });
    expect(store.list).toEqual([
      { username: 'ada@example.org/etl', label: 'etl', created_at: CI.created_at, rotated_at: null, disabled: false },
    ]);
    expect(JSON.stringify(store.list)).not.toContain('ppp');
  });

  it('when a new password is made, then the entry is enabled and dated; when deleted, it leaves the list', async () => {
    const bff = fakeBff({
      'GET /api/me/machine-accounts': json(200, { limit: 5, machine_accounts: [CI] }),
      'POST /api/me/machine-accounts/ci/password': json(200, {
        password: 'q'.repeat(32),
        vault: { status: 'in_sync' },
      }),
      'DELETE /api/me/machine-accounts/ci': json(204),
    });
    const store = useMachineAccountsStore();
    await store.load();

    expect(await store.rotate('ci')).toEqual({ password: 'q'.repeat(32), vault: { status: 'in_sync' } });
    expect(store.list[0]).toMatchObject({ disabled: false, rotated_at: expect.any(String) });

    await store.remove('ci');
    expect(store.list).toEqual([]);
    expect(bff.callsTo('DELETE /api/me/machine-accounts/ci')).toHaveLength(1);
  });

  it('when the server says the list is stale (machine_account_limit), then it rejects and loads the list again', async () => {
    const bff = fakeBff({
      'GET /api/me/machine-accounts': json(200, { limit: 1, machine_accounts: [] }),
      'POST /api/me/machine-accounts': apiError(409, 'machine_account_limit', 'Too many.'),
    });
    const store = useMachineAccountsStore();
    await store.load();
    bff.on('GET /api/me/machine-accounts', json(200, { limit: 1, machine_accounts: [CI] }));

    await expect(store.create('etl')).rejects.toMatchObject({ code: 'machine_account_limit' });
    await vi.waitFor(() => expect(store.list).toEqual([CI]));
  });

  it('when the sign-in is not recent enough, then the account store marks it so (step-up), without a reload', async () => {
    const bff = fakeBff({
      'GET /api/me': json(200, meFixture({ reauthentication: reauthenticationFixture(600) })),
      'DELETE /api/me/machine-accounts/ci': apiError(401, 'reauthentication_required', 'Sign in again.'),
    });
    const account = useAccountStore();
    await account.load();
    const store = useMachineAccountsStore();

    await expect(store.remove('ci')).rejects.toMatchObject({ code: 'reauthentication_required' });

    expect(account.reauthentication?.recent_until).toBeNull();
    expect(bff.callsTo('GET /api/me')).toHaveLength(1);
  });
});
