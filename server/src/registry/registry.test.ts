import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ActivityEntry, ActivityScope } from './activity.js';
import { SERVICE_ACTOR } from './activity.js';
import { openRegistry, type Registry } from './index.js';
import { migrateToLatest, schemaVersion } from './migrations.js';

const MINUTE = 60_000;
const start = Date.parse('2026-11-30T12:00:00Z');
let time = start;
const clock = () => time;

const grace = { issuer: 'https://idp.example.org', subject: 'sub-grace', email: 'grace@example.org' };
const alan = { issuer: 'https://idp.example.org', subject: 'sub-alan', email: 'alan@example.org' };
const ada = { issuer: 'https://other-idp.example.org', subject: 'sub-ada', email: 'ada@example.org' };

let dir: string;
let registry: Registry;

beforeEach(async () => {
  time = start;
  dir = await mkdtemp(path.join(os.tmpdir(), 'registry-test-'));
  registry = await openRegistry({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') }, clock);
});

afterEach(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('when the same file is opened twice, then the second opening applies nothing and keeps the data', async () => {
    await registry.accounts.bind(grace, grace.email, 'registration');
    await registry.close();
    registry = await openRegistry({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') }, clock);
    expect(await migrateToLatest(registry.database)).toEqual([]);
    expect((await registry.accounts.byIdentity(grace))?.username).toBe(grace.email);
  });

  it('when migrated, then schemaVersion names the latest migration', async () => {
    expect(await schemaVersion(registry.database)).toBe('2026-11-30-04-invitations-by-inviter');
  });

  it('when the database is reachable, then check() says ok', async () => {
    expect(await registry.database.check()).toEqual({ ok: true, message: 'ok' });
  });
});

describe('accounts', () => {
  it('when a username is bound, then it is found by identity and by username in any letter case', async () => {
    expect(await registry.accounts.bind(grace, 'Grace@Example.org', 'claim')).toBe(true);
    const byIdentity = await registry.accounts.byIdentity(grace);
    expect(byIdentity).toMatchObject({
      username: 'Grace@Example.org',
      username_key: 'grace@example.org',
      issuer: grace.issuer,
      subject: grace.subject,
      email: grace.email,
      bound_at: start,
      bound_by: 'claim',
      last_eligible_at: start,
      disabled_at: null,
      disabled_reason: null,
      vault_cleanup_pending: 0,
    });
    expect(await registry.accounts.byUsername(' GRACE@example.ORG ')).toEqual(byIdentity);
  });

  it('when the username is bound already (in any letter case), then a second identity cannot bind it', async () => {
    expect(await registry.accounts.bind(grace, 'grace@example.org', 'registration')).toBe(true);
    expect(await registry.accounts.bind(alan, 'Grace@Example.org', 'claim')).toBe(false);
    expect(await registry.accounts.bind(alan, 'grace@example.org', 'claim')).toBe(false);
    expect(await registry.accounts.byIdentity(alan)).toBeUndefined();
    expect((await registry.accounts.byUsername('grace@example.org'))?.subject).toBe(grace.subject);
  });

  it('when the identity owns an account already, then it cannot bind a second one', async () => {
    expect(await registry.accounts.bind(grace, 'grace@example.org', 'registration')).toBe(true);
    expect(await registry.accounts.bind(grace, 'grace.hopper@example.org', 'registration')).toBe(false);
    expect(await registry.accounts.byUsername('grace.hopper@example.org')).toBeUndefined();
  });

  it('when the same subject comes from another issuer, then it is another identity', async () => {
    await registry.accounts.bind(grace, 'grace@example.org', 'registration');
    const elsewhere = { ...grace, issuer: 'https://other-idp.example.org' };
    expect(await registry.accounts.byIdentity(elsewhere)).toBeUndefined();
    expect(await registry.accounts.bind(elsewhere, 'grace2@example.org', 'registration')).toBe(true);
  });

  it('when a username is unbound (in any letter case), then both its username and its identity are free again', async () => {
    await registry.accounts.bind(grace, 'Grace@Example.org', 'claim');
    expect(await registry.accounts.unbind('grace@EXAMPLE.org')).toBe(true);
    expect(await registry.accounts.unbind('grace@example.org')).toBe(false);
    expect(await registry.accounts.byIdentity(grace)).toBeUndefined();
    expect(await registry.accounts.bind(alan, 'grace@example.org', 'operator')).toBe(true);
    expect(await registry.accounts.bind(grace, 'grace.new@example.org', 'registration')).toBe(true);
  });

  it('when accounts are listed, then they come ordered by username, whatever the letter case', async () => {
    await registry.accounts.bind(grace, 'grace@example.org', 'registration');
    await registry.accounts.bind(alan, 'Alan@example.org', 'claim');
    expect((await registry.accounts.list()).map((a) => a.username)).toEqual(['Alan@example.org', 'grace@example.org']);
  });

  it('when the owner is seen eligible, then the clock restarts and their current email is kept', async () => {
    await registry.accounts.bind(grace, 'grace@example.org', 'registration');
    time += 5 * MINUTE;
    await registry.accounts.sawEligible('grace@example.org', 'grace.hopper@example.org');
    expect(await registry.accounts.byIdentity(grace)).toMatchObject({
      username: 'grace@example.org',
      email: 'grace.hopper@example.org',
      bound_at: start,
      last_eligible_at: start + 5 * MINUTE,
    });
  });

  it('when staleSince is asked, then it lists accounts seen before that time and not disabled', async () => {
    await registry.accounts.bind(grace, 'grace@example.org', 'registration');
    await registry.accounts.bind(alan, 'alan@example.org', 'registration');
    time += 10 * MINUTE;
    await registry.accounts.bind(ada, 'ada@example.org', 'registration');
    await registry.accounts.markDisabled('alan@example.org', 'inactive', false);
    expect((await registry.accounts.staleSince(start + 10 * MINUTE)).map((a) => a.username)).toEqual([
      'grace@example.org',
    ]);
    expect(await registry.accounts.staleSince(start)).toEqual([]);
  });

  it('when an account is disabled and enabled again, then the reason, the time, the clock and the pending Vault clean-up follow', async () => {
    await registry.accounts.bind(grace, 'grace@example.org', 'registration');
    time += MINUTE;
    await registry.accounts.markDisabled('grace@example.org', 'ineligible', true);
    expect(await registry.accounts.byIdentity(grace)).toMatchObject({
      disabled_at: start + MINUTE,
      disabled_reason: 'ineligible',
      vault_cleanup_pending: 1,
    });
    time += MINUTE;
    await registry.accounts.markEnabled('grace@example.org');
    expect(await registry.accounts.byIdentity(grace)).toMatchObject({
      disabled_at: null,
      disabled_reason: null,
      last_eligible_at: start + 2 * MINUTE,
      vault_cleanup_pending: 0,
    });
  });

  it('when the Vault copy was cleaned, then the pending flag is cleared', async () => {
    await registry.accounts.bind(grace, 'grace@example.org', 'registration');
    await registry.accounts.markDisabled('grace@example.org', 'inactive', true);
    await registry.accounts.vaultCleaned('grace@example.org');
    expect((await registry.accounts.byIdentity(grace))?.vault_cleanup_pending).toBe(0);
  });

  it('when an account is removed, then its binding is gone', async () => {
    await registry.accounts.bind(grace, 'grace@example.org', 'registration');
    await registry.accounts.remove('grace@example.org');
    expect(await registry.accounts.byIdentity(grace)).toBeUndefined();
  });
});

describe('activity', () => {
  const actorOf = (p: typeof grace) => ({ issuer: p.issuer, subject: p.subject, email: p.email });
  const entry = (overrides: Partial<ActivityEntry>): ActivityEntry => ({
    actor: actorOf(alan),
    action: 'share_grant',
    target: { type: 'experiment', id: '99' },
    outcome: 'ok',
    ...overrides,
  });
  const graceScope: ActivityScope = {
    actor: { issuer: grace.issuer, subject: grace.subject },
    username: 'grace@example.org',
    managed: [{ type: 'experiment', id: '1' }],
  };

  it('when a person reads their page, then they see their doings, their account, grants to them and what they manage, not others’', async () => {
    const visible: ActivityEntry[] = [
      entry({ actor: actorOf(grace), action: 'register', target: { type: 'account', id: 'grace@example.org' } }),
      entry({ actor: SERVICE_ACTOR, action: 'deprovision', target: { type: 'account', id: 'grace@example.org' } }),
      entry({ target: { type: 'experiment', id: '7' }, subject: 'grace@example.org', permission: 'READ' }),
      entry({ target: { type: 'experiment', id: '1', name: 'team/exp' }, subject: 'ada@example.org' }),
      entry({
        actor: actorOf(grace),
        action: 'claim',
        target: { type: 'account', id: 'old@example.org' },
        outcome: 'x',
      }),
    ];
    const hidden: ActivityEntry[] = [
      entry({ action: 'register', target: { type: 'account', id: 'alan@example.org' } }),
      entry({ target: { type: 'experiment', id: '7' }, subject: 'ada@example.org' }),
      entry({ target: { type: 'registered_model', id: '1' }, subject: 'ada@example.org' }),
      entry({
        actor: { ...actorOf(grace), issuer: ada.issuer },
        action: 'register',
        target: { type: 'account', id: 'x' },
      }),
    ];
    for (const e of [...visible, ...hidden]) await registry.activity.record(e);
    const page = await registry.activity.page(graceScope, { limit: 100 });
    expect(page.map((r) => [r.action, r.target_type, r.target_id, r.subject_username])).toEqual(
      [...visible].reverse().map((e) => [e.action, e.target.type, e.target.id, e.subject ?? null]),
    );
  });

  it('when the person has no account, then only their own doings are in scope', async () => {
    await registry.activity.record(
      entry({ actor: actorOf(grace), action: 'claim', target: { type: 'account', id: 'g' } }),
    );
    await registry.activity.record(entry({ target: { type: 'account', id: 'grace@example.org' }, action: 'bind' }));
    const page = await registry.activity.page({ ...graceScope, username: null, managed: [] }, { limit: 10 });
    expect(page.map((r) => r.action)).toEqual(['claim']);
  });

  it('when a record is read back, then every field is as written, at the clock’s time', async () => {
    time += MINUTE;
    await registry.activity.record(
      entry({
        actor: actorOf(grace),
        target: { type: 'experiment', id: '1', name: 'team/exp' },
        subject: 'ada@example.org',
        permission: 'EDIT',
        detail: 'd',
        outcome: 'forbidden',
        requestId: 'req-1',
      }),
    );
    const [record] = await registry.activity.page(graceScope, { limit: 1 });
    expect(record).toEqual({
      id: expect.any(Number),
      at: start + MINUTE,
      request_id: 'req-1',
      actor_issuer: grace.issuer,
      actor_subject: grace.subject,
      actor_email: grace.email,
      action: 'share_grant',
      target_type: 'experiment',
      target_id: '1',
      target_name: 'team/exp',
      subject_username: 'ada@example.org',
      permission: 'EDIT',
      detail: 'd',
      outcome: 'forbidden',
    });
  });

  it('when pages are read with before, then they continue where the previous one ended, newest first', async () => {
    for (let i = 1; i <= 5; i++) {
      await registry.activity.record(entry({ actor: actorOf(grace), target: { type: 'experiment', id: String(i) } }));
    }
    const first = await registry.activity.page(graceScope, { limit: 2 });
    const second = await registry.activity.page(graceScope, { limit: 2, before: first.at(-1)!.id });
    const third = await registry.activity.page(graceScope, { limit: 2, before: second.at(-1)!.id });
    expect([first, second, third].map((p) => p.map((r) => r.target_id))).toEqual([['5', '4'], ['3', '2'], ['1']]);
  });

  it('when failures are counted, then only this identity’s failed attempts of this action since then count', async () => {
    const claim = (who: typeof grace, outcome: string) =>
      registry.activity.record(
        entry({ actor: actorOf(who), action: 'claim', target: { type: 'account', id: 'g' }, outcome }),
      );
    await claim(grace, 'claim_password_incorrect');
    time += 10 * MINUTE;
    await claim(grace, 'claim_password_incorrect');
    await claim(grace, 'ok');
    await claim(alan, 'claim_password_incorrect');
    await registry.activity.record(entry({ actor: actorOf(grace), action: 'register', outcome: 'weak_password' }));
    expect(await registry.activity.failuresSince(grace, 'claim', start)).toBe(2);
    expect(await registry.activity.failuresSince(grace, 'claim', start + MINUTE)).toBe(1);
    expect(await registry.activity.failuresSince(ada, 'claim', start)).toBe(0);
  });

  it('when records are read since a time in batches, then every one comes once, oldest first', async () => {
    await registry.activity.record(entry({ target: { type: 'experiment', id: 'old' } }));
    time += MINUTE;
    for (let i = 1; i <= 4; i++)
      await registry.activity.record(entry({ target: { type: 'experiment', id: String(i) } }));
    const read = async (batch: number) => {
      const ids: string[] = [];
      for await (const r of registry.activity.since(start + MINUTE, batch)) ids.push(r.target_id);
      return ids;
    };
    expect(await read(2)).toEqual(['1', '2', '3', '4']);
    expect(await read(3)).toEqual(['1', '2', '3', '4']);
    expect(await read(500)).toEqual(['1', '2', '3', '4']);
  });

  it('when pruning, then only records older than the limit go, as countBefore said', async () => {
    await registry.activity.record(entry({ target: { type: 'experiment', id: 'a' } }));
    await registry.activity.record(entry({ target: { type: 'experiment', id: 'b' } }));
    time += MINUTE;
    await registry.activity.record(entry({ target: { type: 'experiment', id: 'c' } }));
    expect(await registry.activity.countBefore(start + MINUTE)).toBe(2);
    expect(await registry.activity.prune(start + MINUTE)).toBe(2);
    expect(await registry.activity.countBefore(start + MINUTE)).toBe(0);
    const left: string[] = [];
    for await (const r of registry.activity.since(0)) left.push(r.target_id);
    expect(left).toEqual(['c']);
  });
});

describe('leases', () => {
  it('when one holder has the lease, then another is refused until it expires', async () => {
    expect(await registry.leases.acquire('job', 'a', MINUTE)).toBe(true);
    expect(await registry.leases.acquire('job', 'b', MINUTE)).toBe(false);
    time += MINUTE - 1;
    expect(await registry.leases.acquire('job', 'b', MINUTE)).toBe(false);
    time += 1;
    expect(await registry.leases.acquire('job', 'b', MINUTE)).toBe(true);
    expect(await registry.leases.acquire('job', 'a', MINUTE)).toBe(false);
  });

  it('when the holder releases the lease, then another may take it at once', async () => {
    await registry.leases.acquire('job', 'a', MINUTE);
    await registry.leases.release('job', 'a');
    expect(await registry.leases.acquire('job', 'b', MINUTE)).toBe(true);
  });

  it('when someone else releases, then the holder keeps the lease', async () => {
    await registry.leases.acquire('job', 'a', MINUTE);
    await registry.leases.release('job', 'b');
    expect(await registry.leases.acquire('job', 'b', MINUTE)).toBe(false);
  });

  it('when the holder acquires again, then it keeps the lease, extended', async () => {
    await registry.leases.acquire('job', 'a', MINUTE);
    time += MINUTE / 2;
    expect(await registry.leases.acquire('job', 'a', MINUTE)).toBe(true);
    time += MINUTE / 2 + 1;
    expect(await registry.leases.acquire('job', 'b', MINUTE)).toBe(false);
  });

  it('when two leases have different names, then they do not block each other', async () => {
    expect(await registry.leases.acquire('one', 'a', MINUTE)).toBe(true);
    expect(await registry.leases.acquire('two', 'b', MINUTE)).toBe(true);
  });
});
