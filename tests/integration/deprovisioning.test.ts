/**
 * Deprovisioning: an account whose owner has not signed in eligible for DEPROVISION_AFTER_DAYS is disabled
 * by a maintenance round (its MLflow password replaced by one nobody knows, its Vault copy removed at the
 * owner's next visit, since PAPI takes only the owner's token), and with DEPROVISION_ON_INELIGIBLE=true an
 * owner who signs in no longer eligible has it disabled at once. A new password enables it again.
 *
 * The BFF's clock is moved forward instead of waiting, and the tests run the maintenance rounds themselves
 * (the schedule is stopped). Runs once per registry backend (the SQLite file in DATA_DIR, and a real
 * PostgreSQL through DATABASE_URL), against one real MLflow: every claim is checked there with Basic auth,
 * in the PAPI double's store and in the registry database.
 */
import { openDatabase, type Database } from '../../server/src/registry/database.js';
import { startMlflow, type MlflowServer } from '../support/mlflow.js';
import { mlflowAs, signInStatus } from '../support/mlflow-direct.js';
import { createDatabase, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startStack, TEST_VO, useStack, type ApiSession, type Stack, type StackOptions } from '../support/stack.js';

const SECRET_PATH = '/services/mlflow/credentials';
const DAY = 86_400_000;

const IVAN = 'ivan@example.org';
const IVAN_PW = 'ivan-first-password-01';
const IVAN_PW2 = 'ivan-back-again-password-02';
const HEIDI = 'heidi@example.org';
const HEIDI_PW = 'heidi-first-password-03';

/** A role of the VO other than the one this service requires: PAPI still serves its holder (`access:<vo>:…`). */
const LESSER_VO_ROLE = `access:${TEST_VO}:guest`;

let mlflow: MlflowServer;
let postgres: PostgresServer;

beforeAll(async () => {
  [mlflow, postgres] = await Promise.all([startMlflow(), startPostgres()]);
});

afterAll(async () => {
  await mlflow?.stop();
  await postgres?.stop();
});

/** Starts a block's stack on the file's MLflow, with its registry in a fresh PostgreSQL database or SQLite file. */
function startOn(backend: 'sqlite' | 'postgres', database: string) {
  return async (options: StackOptions) =>
    startStack({
      ...options,
      mlflow,
      env: {
        ...options.env,
        DATABASE_URL: backend === 'postgres' ? await createDatabase(postgres, database) : undefined,
      },
    });
}

/** The registry database of a stack, read and written directly as an operator with the database at hand. */
function useRegistryDatabase(stack: () => Stack): () => Database['db'] {
  let database: Database | undefined;
  beforeAll(() => {
    database = openDatabase(stack().config.database);
  });
  afterAll(async () => {
    await database?.close();
  });
  return () => database!.db;
}

/** The MLflow users a block made are removed when it ends: the next block starts from an empty MLflow. */
function removeMlflowUsersAfterAll(usernames: string[]) {
  afterAll(async () => {
    for (const username of usernames) {
      await mlflowAs(mlflow, mlflow.adminUsername, mlflow.adminPassword, 'DELETE', '/api/2.0/mlflow/users/delete', {
        username,
      });
    }
  });
}

async function activityOf(session: ApiSession): Promise<any[]> {
  const res = await session.call('GET', '/api/me/activity');
  expect(res.status).toBe(200);
  return res.body.entries;
}

describe.each(['sqlite', 'postgres'] as const)('with the registry in %s', (backend) => {
  describe('when DEPROVISION_AFTER_DAYS=30 and the clock moves on', () => {
    /** How far the BFF's clock runs ahead of the real one. */
    let offsetMs = 0;
    const stack = useStack(
      { vault: true, now: () => Date.now() + offsetMs, env: { DEPROVISION_AFTER_DAYS: '30' } },
      startOn(backend, 'deprovision_inactive'),
    );
    const db = useRegistryDatabase(stack);
    removeMlflowUsersAfterAll([IVAN, HEIDI]);
    const vaultOf = (sub: string) => stack().papi!.secretFor(sub, TEST_VO, SECRET_PATH);
    const accountRow = (username: string) =>
      db().selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
    const deprovisionRows = () => db().selectFrom('activity').selectAll().where('action', '=', 'deprovision').execute();

    let ivan: ApiSession;

    beforeAll(async () => {
      expect(stack().config.database.kind).toBe(backend);
      // The tests run every round themselves; a scheduled one could run while the clock is moved.
      await stack().bff.maintenance.stop();
    });

    it('then Ivan and Heidi register, and Heidi is seen eligible again 20 days later', async () => {
      ivan = await stack().signIn('ivan');
      expect((await ivan.register(IVAN_PW)).status).toBe(201);
      const heidi = await stack().signIn('heidi');
      expect((await heidi.register(HEIDI_PW)).status).toBe(201);
      expect(vaultOf('ivan-sub')).toEqual({ username: IVAN, password: IVAN_PW });

      offsetMs = 20 * DAY;
      expect((await heidi.me()).body.account.disabled).toBeNull();
      expect((await accountRow(HEIDI)).last_eligible_at).toBeGreaterThan(Date.now() + 19 * DAY);
      expect((await accountRow(IVAN)).last_eligible_at).toBeLessThan(Date.now() + DAY);
    });

    it('when 31 days have passed, then a dry-run round reports Ivan alone and changes nothing', async () => {
      offsetMs = 31 * DAY;
      const report = await stack().bff.maintenance.runOnce({ dryRun: true });
      expect(report).toMatchObject({ ran: true, dryRun: true, disabled: [IVAN], failed: [] });
      expect(await signInStatus(mlflow, IVAN, IVAN_PW)).toBe(200);
      expect(await accountRow(IVAN)).toMatchObject({ disabled_at: null, disabled_reason: null });
      expect(await deprovisionRows()).toEqual([]);
      expect(vaultOf('ivan-sub')).toEqual({ username: IVAN, password: IVAN_PW });
    });

    it('then a round disables Ivan: MLflow refuses his password, his Vault copy is marked for removal; Heidi is untouched', async () => {
      const report = await stack().bff.maintenance.runOnce();
      expect(report).toMatchObject({ ran: true, dryRun: false, disabled: [IVAN], failed: [] });
      expect(await signInStatus(mlflow, IVAN, IVAN_PW)).toBe(401);
      expect(await accountRow(IVAN)).toMatchObject({ disabled_reason: 'inactive', vault_cleanup_pending: 1 });
      // The round has no token of Ivan's, and PAPI takes no other: the copy waits for his next visit.
      expect(vaultOf('ivan-sub')).toEqual({ username: IVAN, password: IVAN_PW });

      expect(await signInStatus(mlflow, HEIDI, HEIDI_PW)).toBe(200);
      expect(await accountRow(HEIDI)).toMatchObject({ disabled_at: null });

      // A disabled account is not disabled again.
      expect((await stack().bff.maintenance.runOnce()).disabled).toEqual([]);
      expect(await deprovisionRows()).toHaveLength(1);
    });

    it('then at his next visit /api/me shows the account disabled as inactive, the Vault copy is gone, and his activity log says the service did it', async () => {
      const me = await ivan.me();
      expect(me.status).toBe(200);
      expect(me.body.ownership).toMatchObject({ status: 'owned', username: IVAN });
      expect(me.body.account).toMatchObject({ username: IVAN, disabled: { reason: 'inactive' } });
      expect(Date.parse(me.body.account.disabled.at)).toBeGreaterThan(Date.now() + 30 * DAY);
      expect(me.body.vault).toEqual({ status: 'missing' });
      expect(vaultOf('ivan-sub')).toBeUndefined();
      expect(await accountRow(IVAN)).toMatchObject({ vault_cleanup_pending: 0 });

      const deprovision = (await activityOf(ivan)).filter((e) => e.action === 'deprovision');
      expect(deprovision).toEqual([
        expect.objectContaining({
          actor: { email: null, you: false, service: true },
          target: { type: 'account', id: IVAN, name: null },
          detail: 'inactive',
          outcome: 'ok',
        }),
      ]);
    });

    it('then a new password, after a fresh sign-in, enables the account again: it works in MLflow and Vault, disabled is null, and the log says reenable', async () => {
      const fresh = await stack().signIn('ivan');
      expect((await fresh.changePassword(IVAN_PW2)).status).toBe(204);
      expect(await signInStatus(mlflow, IVAN, IVAN_PW2)).toBe(200);
      expect(vaultOf('ivan-sub')).toEqual({ username: IVAN, password: IVAN_PW2 });

      const me = await fresh.me();
      expect(me.body.account).toMatchObject({ username: IVAN, disabled: null });
      expect(me.body.vault).toEqual({ status: 'in_sync' });
      expect(await accountRow(IVAN)).toMatchObject({ disabled_at: null, disabled_reason: null });
      const [latest] = await activityOf(fresh);
      expect(latest).toMatchObject({
        action: 'reenable',
        actor: { email: IVAN, you: true, service: false },
        target: { type: 'account', id: IVAN },
        outcome: 'ok',
      });

      // Enabled means seen eligible now: the next round leaves him be.
      expect((await stack().bff.maintenance.runOnce()).disabled).toEqual([]);
      expect(await signInStatus(mlflow, IVAN, IVAN_PW2)).toBe(200);
    });
  });

  describe('when an owner loses eligibility at the provider', () => {
    const stack = useStack({ vault: true }, startOn(backend, 'deprovision_ineligible'));
    const db = useRegistryDatabase(stack);
    removeMlflowUsersAfterAll([HEIDI, IVAN]);
    const vaultOf = (sub: string) => stack().papi!.secretFor(sub, TEST_VO, SECRET_PATH);
    const accountRow = (username: string) =>
      db().selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirstOrThrow();

    it('with DEPROVISION_ON_INELIGIBLE off (the default), then signing in no longer eligible disables nothing', async () => {
      const heidi = await stack().signIn('heidi');
      expect((await heidi.register(HEIDI_PW)).status).toBe(201);
      // Demoted within the VO: no longer eligible here, still a VO member for PAPI.
      stack().oidc.setClaims('heidi', {
        realm_access: { roles: ['offline_access', LESSER_VO_ROLE] },
        eduperson_entitlement: undefined,
      });

      const again = await stack().signIn('heidi');
      const me = await again.me();
      expect(me.body.user).toMatchObject({ eligible: false, ineligible: { code: 'not_eligible' } });
      expect(me.body.ownership).toMatchObject({ status: 'owned', username: HEIDI });
      expect(me.body.account).toMatchObject({ username: HEIDI, disabled: null });
      expect(await signInStatus(mlflow, HEIDI, HEIDI_PW)).toBe(200);
      expect(vaultOf('heidi-sub')).toEqual({ username: HEIDI, password: HEIDI_PW });
      expect(await accountRow(HEIDI)).toMatchObject({ disabled_at: null });
    });

    it('with DEPROVISION_ON_INELIGIBLE=true, then her next sign-in disables the account at once: MLflow refuses her password and the Vault copy is removed', async () => {
      await stack().restartBff({ DEPROVISION_ON_INELIGIBLE: 'true' });
      const heidi = await stack().signIn('heidi');
      const me = await heidi.me();
      expect(me.body.user.eligible).toBe(false);
      expect(me.body.account).toMatchObject({ username: HEIDI, disabled: { reason: 'ineligible' } });
      expect(await signInStatus(mlflow, HEIDI, HEIDI_PW)).toBe(401);
      expect(vaultOf('heidi-sub')).toBeUndefined();
      expect(await accountRow(HEIDI)).toMatchObject({ disabled_reason: 'ineligible', vault_cleanup_pending: 0 });

      const deprovision = (await activityOf(heidi)).filter((e) => e.action === 'deprovision');
      expect(deprovision).toEqual([
        expect.objectContaining({
          actor: { email: null, you: false, service: true },
          detail: 'ineligible',
          outcome: 'ok',
        }),
      ]);
      // Enabling it again takes eligibility: a new password is refused while she lacks it.
      const res = await heidi.changePassword('heidi-would-be-password-04');
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('not_eligible');
      expect(await signInStatus(mlflow, HEIDI, 'heidi-would-be-password-04')).toBe(401);
    });

    it('when someone leaves the VO altogether, then the account is disabled too; PAPI refuses his token, so the Vault copy stays, marked, and no longer signs in', async () => {
      const ivan = await stack().signIn('ivan');
      expect((await ivan.register(IVAN_PW)).status).toBe(201);
      stack().oidc.setClaims('ivan', { realm_access: { roles: ['offline_access'] }, eduperson_entitlement: undefined });

      const again = await stack().signIn('ivan');
      expect((await again.me()).body.account).toMatchObject({ username: IVAN, disabled: { reason: 'ineligible' } });
      expect(await signInStatus(mlflow, IVAN, IVAN_PW)).toBe(401);
      expect(await accountRow(IVAN)).toMatchObject({ disabled_reason: 'ineligible', vault_cleanup_pending: 1 });
      expect(vaultOf('ivan-sub')).toEqual({ username: IVAN, password: IVAN_PW });
    });
  });
});
