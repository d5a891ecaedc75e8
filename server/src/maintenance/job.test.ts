import { jest } from '@jest/globals';
import type { AccountBinding } from '../registry/accounts.js';
import type { ActivityEntry } from '../registry/activity.js';
import { createAudit } from '../registry/audit.js';
import { openRegistry, type Registry } from '../registry/index.js';
import { createInvitations } from '../sharing/invitations.js';
import { createMaintenance, type MaintenanceReport, type MaintenanceSettings } from './job.js';

const DAY = 86_400_000;
const start = Date.parse('2026-01-01T00:00:00Z');
let time = start;
const clock = () => time;

const settings: MaintenanceSettings = {
  activityRetentionDays: 30,
  deprovision: { afterDays: 90 },
  maintenanceIntervalSeconds: 3600,
};

const logger = { info: jest.fn(), error: jest.fn(), warn: jest.fn() };

const identity = (name: string) => ({
  issuer: 'https://idp.example.org',
  subject: `sub-${name}`,
  email: `${name}@example.org`,
});
const entry = (id: string): ActivityEntry => ({
  actor: { issuer: 'https://idp.example.org', subject: 'sub-grace', email: 'grace@example.org' },
  action: 'share_grant',
  target: { type: 'experiment', id },
  outcome: 'ok',
});

let registry: Registry;
/** Stands in for the account service: disabling marks the binding, as the real one does after MLflow and Vault. */
let disableInactive: jest.Mock<(binding: AccountBinding) => Promise<void>>;

beforeEach(async () => {
  time = start;
  jest.clearAllMocks();
  registry = await openRegistry({ kind: 'sqlite', file: ':memory:' }, clock);
  disableInactive = jest.fn(async (binding: AccountBinding) => {
    await registry.accounts.markDisabled(binding.username, 'inactive', false);
  });
  // Two accounts and two records from the start; one account and one record 91 days later.
  for (const name of ['ada', 'alan'])
    await registry.accounts.bind(identity(name), `${name}@example.org`, 'registration');
  await registry.activity.record(entry('old-1'));
  await registry.activity.record(entry('old-2'));
  time = start + 91 * DAY;
  await registry.accounts.bind(identity('grace'), 'grace@example.org', 'registration');
  await registry.activity.record(entry('new'));
});

afterEach(async () => {
  await registry.close();
});

function job(overrides: Partial<MaintenanceSettings> = {}) {
  return createMaintenance({
    registry,
    accounts: { disableInactive },
    invitations: invitationsOf(registry),
    settings: { ...settings, ...overrides },
    logger,
  });
}

/** The real invitation rules over the registry; expiring them needs neither MLflow nor a lock. */
function invitationsOf(registry: Registry) {
  return createInvitations({
    invitations: registry.invitations,
    accounts: registry.accounts,
    permissions: () => Promise.reject(new Error('the maintenance job does not call MLflow for invitations')),
    names: { find: async () => null },
    lock: { run: (_key, fn) => fn() },
    audit: createAudit(registry.activity, logger),
    ttlDays: 30,
    limit: 50,
    now: clock,
    logger,
  });
}

async function activityIds() {
  const ids: string[] = [];
  for await (const record of registry.activity.since(0)) ids.push(record.target_id);
  return ids;
}

const disabledUsernames = async () =>
  (await registry.accounts.list()).filter((a) => a.disabled_at !== null).map((a) => a.username);

describe('maintenance job', () => {
  it('when run dry, then it lists what it would disable and prune, and changes nothing', async () => {
    expect(await job().runOnce({ dryRun: true })).toEqual<MaintenanceReport>({
      ran: true,
      dryRun: true,
      pruned: 2,
      disabled: ['ada@example.org', 'alan@example.org'],
      failed: [],
      invitationsExpired: 0,
    });
    expect(disableInactive).not.toHaveBeenCalled();
    expect(await activityIds()).toEqual(['old-1', 'old-2', 'new']);
    expect(await disabledUsernames()).toEqual([]);
  });

  it('when run, then activity older than the retention is deleted and accounts not seen eligible for long are disabled', async () => {
    const report = await job().runOnce();
    expect(report).toEqual<MaintenanceReport>({
      ran: true,
      dryRun: false,
      pruned: 2,
      disabled: ['ada@example.org', 'alan@example.org'],
      failed: [],
      invitationsExpired: 0,
    });
    expect(disableInactive.mock.calls.map(([binding]) => binding.username)).toEqual([
      'ada@example.org',
      'alan@example.org',
    ]);
    expect(await activityIds()).toEqual(['new']);
    expect(await disabledUsernames()).toEqual(['ada@example.org', 'alan@example.org']);
    expect(logger.info).toHaveBeenCalledWith(expect.objectContaining({ pruned: 2 }), 'maintenance done');
  });

  it('when run again, then accounts disabled already are left alone', async () => {
    const maintenance = job();
    await maintenance.runOnce();
    disableInactive.mockClear();
    expect(await maintenance.runOnce()).toMatchObject({ ran: true, pruned: 0, disabled: [], failed: [] });
    expect(disableInactive).not.toHaveBeenCalled();
  });

  it('when DEPROVISION_AFTER_DAYS is off, then activity is pruned and no account is disabled', async () => {
    expect(await job({ deprovision: { afterDays: undefined } }).runOnce()).toMatchObject({
      ran: true,
      pruned: 2,
      disabled: [],
      failed: [],
    });
    expect(disableInactive).not.toHaveBeenCalled();
    expect(await disabledUsernames()).toEqual([]);
  });

  it('when the retention is longer than the records’ age, then nothing is pruned', async () => {
    expect(await job({ activityRetentionDays: 365 }).runOnce()).toMatchObject({ pruned: 0 });
    expect(await activityIds()).toEqual(['old-1', 'old-2', 'new']);
  });

  it('when disabling one account fails, then it is reported in failed and the others are still disabled', async () => {
    disableInactive.mockRejectedValueOnce(new Error('MLflow is down'));
    const report = await job().runOnce();
    expect(report).toMatchObject({ ran: true, disabled: ['alan@example.org'], failed: ['ada@example.org'] });
    expect(await disabledUsernames()).toEqual(['alan@example.org']);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ username: 'ada@example.org' }),
      'disabling an inactive account failed',
    );
    // Retried next round.
    expect(await job().runOnce()).toMatchObject({ disabled: ['ada@example.org'], failed: [] });
  });

  it('when another replica holds the lease, then the job skips the round and changes nothing', async () => {
    expect(await registry.leases.acquire('maintenance', 'other-replica', 60_000)).toBe(true);
    const maintenance = job();
    expect(await maintenance.runOnce()).toEqual<MaintenanceReport>({
      ran: false,
      dryRun: false,
      pruned: 0,
      disabled: [],
      failed: [],
      invitationsExpired: 0,
    });
    expect(disableInactive).not.toHaveBeenCalled();
    expect(await activityIds()).toEqual(['old-1', 'old-2', 'new']);

    await registry.leases.release('maintenance', 'other-replica');
    expect(await maintenance.runOnce()).toMatchObject({ ran: true, pruned: 2 });
  });

  it('when the other replica’s lease expires, then the job runs again', async () => {
    await registry.leases.acquire('maintenance', 'crashed-replica', 60_000);
    expect(await job().runOnce()).toMatchObject({ ran: false });
    time += 60_000;
    expect(await job().runOnce()).toMatchObject({ ran: true, pruned: 2 });
  });

  it('when two job instances run at once, then the second skips while the first works, and the lease is free after', async () => {
    const first = job();
    const second = job();
    let meanwhile: MaintenanceReport | undefined;
    disableInactive.mockImplementationOnce(async () => {
      meanwhile = await second.runOnce();
    });
    expect(await first.runOnce()).toMatchObject({ ran: true });
    expect(meanwhile).toMatchObject({ ran: false });
    expect(await registry.leases.acquire('maintenance', 'other-replica', 60_000)).toBe(true);
  });

  it('when run dry while another replica holds the lease, then it still reports, taking no lease', async () => {
    await registry.leases.acquire('maintenance', 'other-replica', 60_000);
    expect(await job().runOnce({ dryRun: true })).toMatchObject({ ran: true, dryRun: true, pruned: 2 });
    expect(await registry.leases.acquire('maintenance', 'other-replica', 60_000)).toBe(true);
  });

  describe('when invitations are past INVITATION_TTL_DAYS', () => {
    const invite = (id: string, email: string, expiresAt: number) =>
      registry.invitations.put(
        { resourceType: 'experiment', resourceId: id, emailKey: email },
        { permission: 'READ', invitedBy: 'grace@example.org', expiresAt },
      );
    const invitationEmails = async () =>
      (await registry.database.db.selectFrom('invitations').select('email_key').orderBy('id').execute()).map(
        (r) => r.email_key,
      );

    beforeEach(async () => {
      await invite('7', 'old@example.org', time - 1);
      await invite('7', 'young@example.org', time + DAY);
    });

    it('when run dry, then it counts the expired ones and deletes nothing', async () => {
      expect(await job().runOnce({ dryRun: true })).toMatchObject({ dryRun: true, invitationsExpired: 1 });
      expect(await invitationEmails()).toEqual(['old@example.org', 'young@example.org']);
    });

    it('when run, then the expired ones are deleted, each recorded as invite_expire by the service, and the rest stay', async () => {
      expect(await job().runOnce()).toMatchObject({ ran: true, invitationsExpired: 1 });
      expect(await invitationEmails()).toEqual(['young@example.org']);
      const records = [];
      for await (const r of registry.activity.since(0)) if (r.action === 'invite_expire') records.push(r);
      expect(records).toEqual([
        expect.objectContaining({
          actor_issuer: null,
          target_type: 'experiment',
          target_id: '7',
          subject_username: 'old@example.org',
          permission: 'READ',
          outcome: 'ok',
        }),
      ]);
      expect(logger.info).toHaveBeenCalledWith(expect.objectContaining({ invitationsExpired: 1 }), 'maintenance done');
      expect(await job().runOnce()).toMatchObject({ invitationsExpired: 0 });
    });
  });
});
