/**
 * Accounts belong to a sign-in (the provider's `iss` and the person's `sub`), not to an email: another
 * identity with the same email is refused everything, accounts from before the registry are claimed by
 * proving their password (or by a Vault copy that signs in), an email changed at the provider keeps the
 * account, and every change lands in the activity log, which holds no secret and is pruned after
 * ACTIVITY_RETENTION_DAYS.
 *
 * Runs once per registry backend (the SQLite file in DATA_DIR, and a real PostgreSQL through DATABASE_URL),
 * both against one real MLflow: each block removes the MLflow users it made when it ends. Every claim is
 * checked against MLflow itself, the PAPI double's stored secrets and the registry database.
 */
import { startMlflow, type MlflowServer } from '../support/mlflow.js';
import { createDatabase, startPostgres, type PostgresServer } from '../support/postgres.js';
import { directExperimentPermission, mlflowAs, mlflowUser, signInStatus } from '../support/mlflow-direct.js';
import { openRegistryReader, type RegistryReader } from '../support/registry-db.js';
import { startStack, TEST_VO, useStack, type ApiSession, type StackOptions } from '../support/stack.js';

const SECRET_PATH = '/services/mlflow/credentials';
const MINUTE = 60_000;
const DAY = 86_400_000;
const RETENTION_DAYS = 30;
const SUPPORT = 'mlflow-support@example.org';

const GRACE = 'grace@example.org';
const GRACE_PW = 'grace-first-password-01';
const GRACE_PW2 = 'grace-second-password-02';
const GRACIE_PW = 'gracie-would-be-password-03';
const FRANK_EMAIL = 'Frank.Sharer@Example.ORG';
const FRANK = 'frank.sharer@example.org';
const FRANK_PW = 'frank-password-in-caps-04';
const HEIDI = 'heidi@example.org';
const HEIDI_NEW_EMAIL = 'heidi.moved@example.org';
const HEIDI_PW = 'heidi-old-mlflow-password-05';
const HEIDI_WRONG = 'heidi-wrong-guess-06';
const HEIDI_PW2 = 'heidi-after-move-password-07';
const IVAN = 'ivan@example.org';
const IVAN_PW = 'ivan-old-mlflow-password-08';
const IVAN_WRONG = 'ivan-wrong-guess-09';
const ALICE = 'alice@example.org';
const ALICE_PW = 'alice-vault-kept-password-10';
const ALICE_STALE = 'alice-stale-vault-password-11';
const DAVE = 'dave@example.org';
const DAVE_PW = 'dave-admin-password-12';

/** Every password this file uses, MLflow's and the provider's: none may ever reach the registry. */
const PASSWORDS = [
  GRACE_PW,
  GRACE_PW2,
  GRACIE_PW,
  FRANK_PW,
  HEIDI_PW,
  HEIDI_WRONG,
  HEIDI_PW2,
  IVAN_PW,
  IVAN_WRONG,
  ALICE_PW,
  ALICE_STALE,
  DAVE_PW,
  ...['alice', 'dave', 'frank', 'grace', 'gracie', 'heidi', 'ivan'].map((login) => `${login}-password-123`),
];
/** The MLflow users a block makes; removed when it ends, so the next backend starts from an empty MLflow. */
const MADE_IN_MLFLOW = [GRACE, FRANK, HEIDI, IVAN, ALICE, DAVE];

let mlflow: MlflowServer;
let postgres: PostgresServer;
let postgresRegistryUrl: string;

beforeAll(async () => {
  [mlflow, postgres] = await Promise.all([startMlflow(), startPostgres()]);
  postgresRegistryUrl = await createDatabase(postgres, 'registry');
});

afterAll(async () => {
  await mlflow?.stop();
  await postgres?.stop();
});

const asAdmin = (method: string, path: string, body?: unknown) =>
  mlflowAs(mlflow, mlflow.adminUsername, mlflow.adminPassword, method, path, body);

/** An MLflow account made by an admin, as the older service or an operator made them: nobody owns it here. */
async function createUserDirectly(username: string, password: string, isAdmin = false): Promise<void> {
  expect((await asAdmin('POST', '/api/2.0/mlflow/users/create', { username, password })).status).toBe(200);
  if (isAdmin) {
    const res = await asAdmin('PATCH', '/api/2.0/mlflow/users/update-admin', { username, is_admin: true });
    expect(res.status).toBe(200);
  }
}

/** Every grant the user holds, as MLflow's admin sees it (3.13+ RBAC API). */
async function grantsOf(username: string): Promise<unknown> {
  const res = await asAdmin('GET', `/api/3.0/mlflow/users/permissions/list?username=${encodeURIComponent(username)}`);
  expect(res.status).toBe(200);
  return res.body.permissions;
}

/** Every key of a JSON value, at any depth. */
function keysDeep(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysDeep);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...keysDeep(inner)]);
  }
  return [];
}

/**
 * What /api/me shows someone who may not have the account: why (`status`), a message that mentions
 * `mentioned`, and neither the account nor its Vault status.
 */
function expectRefusedOwnership(body: any, status: string, username: string | null, mentioned: string): void {
  expect(body.ownership).toEqual({
    status,
    username,
    email_changed: false,
    message: expect.stringContaining(mentioned),
  });
  expect(body.account).toBeNull();
  expect(body.vault).toBeNull();
}

const collaborator = (type: string, id: string, user: string) =>
  `/api/${type}/${encodeURIComponent(id)}/collaborators/${encodeURIComponent(user)}`;

/** One activity entry as the tests compare it: what happened, not when or under which id. */
const gist = (e: any) => ({
  action: e.action,
  target: e.target.type === 'account' ? `account:${e.target.id}` : `${e.target.type}:${e.target.name}`,
  subject: e.subject,
  permission: e.permission,
  outcome: e.outcome,
  you: e.actor.you,
});

describe.each(['sqlite', 'postgres'] as const)('with the registry in %s', (backend) => {
  /** How far the BFF's registry clock runs ahead of the real one. */
  let offsetMs = 0;
  const options: StackOptions = {
    rule: 'realm_roles',
    vault: true,
    now: () => Date.now() + offsetMs,
    env: { ACTIVITY_RETENTION_DAYS: String(RETENTION_DAYS), SUPPORT_CONTACT: SUPPORT },
  };
  // The shared MLflow and PostgreSQL exist once the file's beforeAll ran, which is before this block's.
  const stack = useStack(options, (o) =>
    startStack({
      ...o,
      mlflow,
      env: { ...o.env, DATABASE_URL: backend === 'postgres' ? postgresRegistryUrl : undefined },
    }),
  );
  let registry: RegistryReader;
  /** Every access and refresh token the provider issued to the BFF: none may reach the registry either. */
  const tokens = new Set<string>();

  let grace: ApiSession;
  let frank: ApiSession;
  let heidi: ApiSession;
  let experimentId: string;
  let frankExperimentId: string;

  const papi = () => stack().papi!;
  const vaultOf = (sub: string) => papi().secretFor(sub, TEST_VO, SECRET_PATH);
  const bindingsOf = async (sub: string) => (await registry.rows('accounts')).filter((r) => r.subject === sub);
  /**
   * Claims with `password` and expects the refusal (`status`, `code`) to leave nothing behind: the account
   * stays claimable, with no binding for `sub` and no Vault copy.
   */
  async function expectClaimRefused(session: ApiSession, sub: string, password: string, status: number, code: string) {
    const res = await session.call('POST', '/api/me/claim', { password });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect((await session.me()).body.ownership.status).toBe('claimable');
    expect(await bindingsOf(sub)).toEqual([]);
    expect(vaultOf(sub)).toBeUndefined();
  }

  beforeAll(async () => {
    expect(stack().config.database.kind).toBe(backend);
    stack().oidc.provider.on('access_token.saved', (t) => tokens.add(t.jti));
    stack().oidc.provider.on('refresh_token.saved', (t) => tokens.add(t.jti));
    registry = await openRegistryReader(stack().config.database);
  });

  afterAll(async () => {
    await registry?.close();
    for (const username of MADE_IN_MLFLOW) {
      await asAdmin('DELETE', '/api/2.0/mlflow/users/delete', { username });
    }
  });

  it('when the BFF has started, then /readyz reports the registry database ready', async () => {
    const res = await fetch(`${stack().origin}/readyz`);
    expect(res.status).toBe(200);
    expect((await res.json()).checks.registry).toMatchObject({ ok: true });
  });

  describe('when another identity presents the email of an account bound to someone else', () => {
    let gracie: ApiSession;

    beforeAll(async () => {
      grace = await stack().signIn('grace');
      expect((await grace.register(GRACE_PW)).status).toBe(201);
      const exp = await mlflowAs(mlflow, GRACE, GRACE_PW, 'POST', '/api/2.0/mlflow/experiments/create', {
        name: `grace's experiment (${backend})`,
      });
      expect(exp.status).toBe(200);
      experimentId = exp.body.experiment_id;
      gracie = await stack().signIn('gracie');
    });

    it('then /api/me says owned_by_other_identity, whom to contact, and nothing about the account', async () => {
      const me = await gracie.me();
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe('Grace@Example.org');
      expectRefusedOwnership(me.body, 'owned_by_other_identity', null, SUPPORT);
      expect(keysDeep(me.body)).not.toContain('id');
      expect(JSON.stringify(me.body)).not.toMatch(/in_sync|is_admin|disabled/);
    });

    it('then every account and sharing route answers 409 account_owned_by_other_identity, even with her password', async () => {
      const before = await grantsOf(GRACE);
      const attempts = [
        await gracie.register(GRACIE_PW),
        await gracie.changePassword(GRACIE_PW),
        await gracie.deleteAccount(),
        await gracie.call('POST', '/api/me/claim', { password: GRACE_PW }),
        await gracie.call('GET', '/api/resources?type=experiment'),
        await gracie.call('GET', `/api/experiment/${experimentId}/collaborators`),
        await gracie.call('GET', collaborator('experiment', experimentId, GRACE)),
        await gracie.call('PUT', collaborator('experiment', experimentId, 'Grace@Example.org'), { permission: 'READ' }),
        await gracie.call('DELETE', collaborator('experiment', experimentId, GRACE)),
      ];
      for (const res of attempts) {
        expect({ status: res.status, code: res.body.error?.code }).toEqual({
          status: 409,
          code: 'account_owned_by_other_identity',
        });
        expect(keysDeep(res.body)).not.toContain('id');
      }

      expect(await signInStatus(mlflow, GRACE, GRACE_PW)).toBe(200);
      expect(await signInStatus(mlflow, GRACE, GRACIE_PW)).toBe(401);
      expect(vaultOf('grace-sub')).toEqual({ username: GRACE, password: GRACE_PW });
      expect(vaultOf('gracie-sub')).toBeUndefined();
      expect(await grantsOf(GRACE)).toEqual(before);
      expect(await directExperimentPermission(mlflow, GRACE, experimentId)).toBe('MANAGE');
      expect(await mlflowUser(mlflow, 'Grace@Example.org')).toBeNull();
      expect(await bindingsOf('gracie-sub')).toEqual([]);
    });

    it('then grace herself still sees her account, in sync with Vault', async () => {
      const me = await grace.me();
      expect(me.body.ownership).toEqual({ status: 'owned', username: GRACE, email_changed: false, message: null });
      expect(me.body.account).toMatchObject({ username: GRACE, is_admin: false, disabled: null });
      expect(me.body.vault).toEqual({ status: 'in_sync' });
    });
  });

  describe('when an email holds capitals', () => {
    beforeAll(async () => {
      stack().oidc.setClaims('frank', { email: FRANK_EMAIL });
      frank = await stack().signIn('frank');
    });

    it('then registering creates the lower-cased username, in MLflow and in Vault', async () => {
      expect((await frank.me()).body.ownership).toMatchObject({ status: 'none', username: FRANK });
      const res = await frank.register(FRANK_PW);
      expect(res.status).toBe(201);
      expect(res.body.account.username).toBe(FRANK);
      expect(await signInStatus(mlflow, FRANK, FRANK_PW)).toBe(200);
      expect(await mlflowUser(mlflow, FRANK_EMAIL)).toBeNull();
      expect(vaultOf('frank-sub')).toEqual({ username: FRANK, password: FRANK_PW });
      expect(await bindingsOf('frank-sub')).toEqual([
        expect.objectContaining({ username: FRANK, username_key: FRANK, email: FRANK_EMAIL, bound_by: 'registration' }),
      ]);
    });

    it('then sharing with GRACE@example.org finds grace’s account', async () => {
      const exp = await mlflowAs(mlflow, FRANK, FRANK_PW, 'POST', '/api/2.0/mlflow/experiments/create', {
        name: `frank's experiment (${backend})`,
      });
      expect(exp.status).toBe(200);
      frankExperimentId = exp.body.experiment_id;
      const res = await frank.call('PUT', collaborator('experiment', frankExperimentId, 'GRACE@example.org'), {
        permission: 'READ',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ username: GRACE, permission: 'READ' });
      expect(await directExperimentPermission(mlflow, GRACE, frankExperimentId)).toBe('READ');
      expect(await mlflowUser(mlflow, 'GRACE@example.org')).toBeNull();
    });
  });

  describe('when an account was made before the registry', () => {
    it('then its owner sees it as claimable, and registering instead is refused', async () => {
      await createUserDirectly(HEIDI, HEIDI_PW);
      heidi = await stack().signIn('heidi');
      const me = await heidi.me();
      expect(me.body.ownership).toEqual({ status: 'claimable', username: HEIDI, email_changed: false, message: null });
      expect(me.body.account).toBeNull();
      const register = await heidi.register('heidi-new-password-13');
      expect(register.status).toBe(409);
      expect(register.body.error.code).toBe('already_registered');
      expect(await signInStatus(mlflow, HEIDI, HEIDI_PW)).toBe(200);
    });

    it('then a wrong password answers 403 claim_password_incorrect and binds nothing', async () => {
      await expectClaimRefused(heidi, 'heidi-sub', HEIDI_WRONG, 403, 'claim_password_incorrect');
      expect(await signInStatus(mlflow, HEIDI, HEIDI_PW)).toBe(200);
    });

    it('then the right password binds it and writes the Vault copy', async () => {
      const res = await heidi.call('POST', '/api/me/claim', { password: HEIDI_PW });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ account: { username: HEIDI, is_admin: false }, vault: { status: 'in_sync' } });
      expect(vaultOf('heidi-sub')).toEqual({ username: HEIDI, password: HEIDI_PW });
      expect(await bindingsOf('heidi-sub')).toEqual([expect.objectContaining({ username: HEIDI, bound_by: 'claim' })]);
      const me = await heidi.me();
      expect(me.body.ownership).toEqual({ status: 'owned', username: HEIDI, email_changed: false, message: null });
      expect(me.body.vault).toEqual({ status: 'in_sync' });
      const again = await heidi.call('POST', '/api/me/claim', { password: HEIDI_PW });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('already_registered');
    });

    it('then five wrong passwords lock the claim with 429 too_many_attempts for 15 minutes, even for the right one', async () => {
      await createUserDirectly(IVAN, IVAN_PW);
      const ivan = await stack().signIn('ivan');
      for (let i = 0; i < 5; i++) {
        const res = await ivan.call('POST', '/api/me/claim', { password: `${IVAN_WRONG}-${i}` });
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('claim_password_incorrect');
      }
      // Locked: even the right password is refused.
      await expectClaimRefused(ivan, 'ivan-sub', IVAN_PW, 429, 'too_many_attempts');

      offsetMs += 16 * MINUTE;
      const later = await ivan.call('POST', '/api/me/claim', { password: IVAN_PW });
      expect(later.status).toBe(200);
      expect(vaultOf('ivan-sub')).toEqual({ username: IVAN, password: IVAN_PW });
    });

    it('then a Vault copy that signs in binds it at GET /api/me without a form; a stale copy does not', async () => {
      await createUserDirectly(ALICE, ALICE_PW);
      papi().putSecret('alice-sub', TEST_VO, SECRET_PATH, { username: ALICE, password: ALICE_STALE });
      const alice = await stack().signIn('alice');
      expect((await alice.me()).body.ownership.status).toBe('claimable');
      expect(await bindingsOf('alice-sub')).toEqual([]);

      papi().putSecret('alice-sub', TEST_VO, SECRET_PATH, { username: ALICE, password: ALICE_PW });
      const me = await alice.me();
      expect(me.body.ownership).toEqual({ status: 'owned', username: ALICE, email_changed: false, message: null });
      expect(me.body.account).toMatchObject({ username: ALICE, disabled: null });
      expect(me.body.vault).toEqual({ status: 'in_sync' });
      expect(await bindingsOf('alice-sub')).toEqual([expect.objectContaining({ username: ALICE, bound_by: 'vault' })]);
      expect(await signInStatus(mlflow, ALICE, ALICE_PW)).toBe(200);
    });

    it('then an MLflow admin account is protected: never claimed or registered over, even with its password', async () => {
      await createUserDirectly(DAVE, DAVE_PW, true);
      stack().oidc.setClaims('dave', { email_verified: true });
      const dave = await stack().signIn('dave');
      const me = await dave.me();
      expectRefusedOwnership(me.body, 'protected', DAVE, DAVE);
      for (const res of [
        await dave.call('POST', '/api/me/claim', { password: DAVE_PW }),
        await dave.register('dave-new-password-14'),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      expect(await bindingsOf('dave-sub')).toEqual([]);
      expect(vaultOf('dave-sub')).toBeUndefined();
      expect(await mlflowUser(mlflow, DAVE)).toMatchObject({ is_admin: true });
      expect(await signInStatus(mlflow, DAVE, DAVE_PW)).toBe(200);
    });
  });

  describe('when a bound person’s email changes at the provider', () => {
    beforeAll(async () => {
      stack().oidc.setClaims('heidi', { email: HEIDI_NEW_EMAIL });
      heidi = await stack().signIn('heidi');
    });

    it('then they keep their account under its old username, and /api/me says the email changed', async () => {
      const me = await heidi.me();
      expect(me.body.user.email).toBe(HEIDI_NEW_EMAIL);
      expect(me.body.ownership).toEqual({ status: 'owned', username: HEIDI, email_changed: true, message: null });
      expect(me.body.account).toMatchObject({ username: HEIDI });
      expect(me.body.vault).toEqual({ status: 'in_sync' });
    });

    it('then they can still change its password, in MLflow and in Vault', async () => {
      expect((await heidi.changePassword(HEIDI_PW2)).status).toBe(204);
      expect(await signInStatus(mlflow, HEIDI, HEIDI_PW2)).toBe(200);
      expect(await signInStatus(mlflow, HEIDI, HEIDI_PW)).toBe(401);
      expect(vaultOf('heidi-sub')).toEqual({ username: HEIDI, password: HEIDI_PW2 });
    });

    it('then the new email is not a new account', async () => {
      const register = await heidi.register('heidi-third-password-15');
      expect(register.status).toBe(409);
      expect(register.body.error.code).toBe('already_registered');
      expect(await mlflowUser(mlflow, HEIDI_NEW_EMAIL)).toBeNull();
      expect(await bindingsOf('heidi-sub')).toEqual([
        expect.objectContaining({ username: HEIDI, username_key: HEIDI, email: HEIDI_NEW_EMAIL }),
      ]);
    });
  });

  describe('when people act, then the activity log', () => {
    const activity = async (session: ApiSession, query = '') => {
      const res = await session.call('GET', `/api/me/activity${query}`);
      expect(res.status).toBe(200);
      return res.body as { entries: any[]; next_before: string | null };
    };

    beforeAll(async () => {
      expect((await grace.changePassword(GRACE_PW2)).status).toBe(204);
      const share = (permission: string) =>
        grace.call('PUT', collaborator('experiment', experimentId, FRANK), { permission });
      expect((await share('READ')).status).toBe(201);
      expect((await share('EDIT')).status).toBe(200);
      expect((await grace.call('DELETE', collaborator('experiment', experimentId, FRANK))).status).toBe(204);
      const manage = await grace.call('PUT', collaborator('experiment', experimentId, HEIDI), { permission: 'MANAGE' });
      expect(manage.status).toBe(201);
    });

    it('lists what grace did and what was done to her, newest first', async () => {
      const { entries, next_before } = await activity(grace);
      expect(next_before).toBeNull();
      const exp = `experiment:grace's experiment (${backend})`;
      expect(entries.map(gist)).toEqual([
        { action: 'share_grant', target: exp, subject: HEIDI, permission: 'MANAGE', outcome: 'ok', you: true },
        { action: 'share_revoke', target: exp, subject: FRANK, permission: null, outcome: 'ok', you: true },
        { action: 'share_change', target: exp, subject: FRANK, permission: 'EDIT', outcome: 'ok', you: true },
        { action: 'share_grant', target: exp, subject: FRANK, permission: 'READ', outcome: 'ok', you: true },
        {
          action: 'password_change',
          target: `account:${GRACE}`,
          subject: null,
          permission: null,
          outcome: 'ok',
          you: true,
        },
        {
          action: 'share_grant',
          target: `experiment:frank's experiment (${backend})`,
          subject: GRACE,
          permission: 'READ',
          outcome: 'ok',
          you: false,
        },
        // Gracie's refused attempts on grace's account are in its history.
        ...['claim', 'delete', 'password_change', 'register'].map((action) => ({
          action,
          target: `account:${GRACE}`,
          subject: null,
          permission: null,
          outcome: 'account_owned_by_other_identity',
          you: false,
        })),
        { action: 'register', target: `account:${GRACE}`, subject: null, permission: null, outcome: 'ok', you: true },
      ]);
      expect(entries[0].target.id).toBe(experimentId);
      expect(entries[5].actor).toEqual({ email: FRANK_EMAIL, you: false, service: false });
      expect(entries[6].actor).toEqual({ email: 'Grace@Example.org', you: false, service: false });
      const ids = entries.map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      const times = entries.map((e) => Date.parse(e.at));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('pages with limit and next_before, and refuses a limit out of range', async () => {
      const all = (await activity(grace)).entries;
      const pages: any[][] = [];
      let before: string | null = null;
      do {
        const page: { entries: any[]; next_before: string | null } = await activity(
          grace,
          `?limit=3${before ? `&before=${before}` : ''}`,
        );
        pages.push(page.entries);
        before = page.next_before;
        if (before) expect(before).toBe(page.entries.at(-1).id);
      } while (before && pages.length < 10);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 2]);
      expect(pages.flat()).toEqual(all);

      for (const query of ['?limit=0', '?limit=101', '?before=abc']) {
        const res = await grace.call('GET', `/api/me/activity${query}`);
        expect(res.status).toBe(422);
        expect(res.body.error.code).toBe('validation_failed');
      }
    });

    it('shows another person only their own doings, grants given to them and changes to what they manage', async () => {
      const exp = `experiment:grace's experiment (${backend})`;
      // Frank: his own account and sharing, and grace's grants to him; not grace's own account or her grant to heidi.
      expect((await activity(frank)).entries.map(gist)).toEqual([
        { action: 'share_revoke', target: exp, subject: FRANK, permission: null, outcome: 'ok', you: false },
        { action: 'share_change', target: exp, subject: FRANK, permission: 'EDIT', outcome: 'ok', you: false },
        { action: 'share_grant', target: exp, subject: FRANK, permission: 'READ', outcome: 'ok', you: false },
        {
          action: 'share_grant',
          target: `experiment:frank's experiment (${backend})`,
          subject: GRACE,
          permission: 'READ',
          outcome: 'ok',
          you: true,
        },
        { action: 'register', target: `account:${FRANK}`, subject: null, permission: null, outcome: 'ok', you: true },
      ]);

      // Heidi manages grace's experiment now: she sees every change to it, and her own attempts, refused ones included.
      /** What heidi did to her own account, which names no subject and no permission. */
      const onHerAccount = (action: string, outcome = 'ok') => ({
        action,
        target: `account:${HEIDI}`,
        subject: null,
        permission: null,
        outcome,
        you: true,
      });
      expect((await activity(heidi)).entries.map(gist)).toEqual([
        { action: 'share_grant', target: exp, subject: HEIDI, permission: 'MANAGE', outcome: 'ok', you: false },
        { action: 'share_revoke', target: exp, subject: FRANK, permission: null, outcome: 'ok', you: false },
        { action: 'share_change', target: exp, subject: FRANK, permission: 'EDIT', outcome: 'ok', you: false },
        { action: 'share_grant', target: exp, subject: FRANK, permission: 'READ', outcome: 'ok', you: false },
        // Registering under her new email, while she owns her old account: refused, and on her own account.
        onHerAccount('register', 'already_registered'),
        onHerAccount('password_change'),
        // Claiming again what is hers already.
        onHerAccount('claim', 'already_registered'),
        onHerAccount('claim'),
        onHerAccount('claim', 'claim_password_incorrect'),
        onHerAccount('register', 'already_registered'),
      ]);

      // Gracie sees her own refused attempts, and nothing else of grace's.
      const gracie = await stack().signIn('gracie');
      expect((await activity(gracie)).entries.map(gist)).toEqual(
        ['claim', 'delete', 'password_change', 'register'].map((action) => ({
          action,
          target: `account:${GRACE}`,
          subject: null,
          permission: null,
          outcome: 'account_owned_by_other_identity',
          you: true,
        })),
      );
    });

    it('records a Vault claim, and a refused one, against the claimer only', async () => {
      const alice = await stack().signIn('alice');
      expect((await activity(alice)).entries.map(gist)).toEqual([
        { action: 'claim', target: `account:${ALICE}`, subject: null, permission: null, outcome: 'ok', you: true },
      ]);
      const ivan = await stack().signIn('ivan');
      const outcomes = (await activity(ivan)).entries.map((e) => `${e.action}:${e.outcome}`);
      // The refusal while locked out is recorded too; only wrong passwords count towards the lockout.
      expect(outcomes).toEqual([
        'claim:ok',
        'claim:too_many_attempts',
        ...Array<string>(5).fill('claim:claim_password_incorrect'),
      ]);
    });

    it('is kept in a registry that holds no password and no token, in any table', async () => {
      const dump = await registry.dump();
      const tables = Object.keys(dump);
      expect(tables).toEqual(expect.arrayContaining(['accounts', 'activity']));
      expect(dump.activity).toContain(GRACE);
      expect(tokens.size).toBeGreaterThan(0);
      for (const [table, text] of Object.entries(dump)) {
        for (const password of PASSWORDS)
          expect({ table, holds: text.includes(password) }).toEqual({ table, holds: false });
        // The PostgreSQL session store shares the database when only DATABASE_URL is set: sessions hold the
        // person's tokens by design (and never a password). The registry's own tables hold neither.
        if (table === 'signup_sessions') continue;
        for (const token of tokens) expect({ table, holds: text.includes(token) }).toEqual({ table, holds: false });
      }
    });
  });

  describe('when activity records grow older than ACTIVITY_RETENTION_DAYS', () => {
    const countActivity = async () => (await registry.rows('activity')).length;

    it('then a maintenance round removes them and keeps the younger ones', async () => {
      offsetMs += 20 * DAY;
      // A refused grant is recorded too: one young record among the old ones.
      // Not email-shaped (no dot in the domain): refused, where an email would be invited.
      const refused = await grace.call('PUT', collaborator('experiment', experimentId, 'nobody@localhost'), {
        permission: 'READ',
      });
      expect(refused.status).toBe(404);
      expect(refused.body.error.code).toBe('user_not_registered');
      const total = await countActivity();
      expect(total).toBeGreaterThan(10);

      offsetMs += (RETENTION_DAYS - 20 + 1) * DAY;
      const report = await stack().bff.maintenance.runOnce();
      expect(report).toMatchObject({ ran: true, pruned: total - 1, disabled: [], failed: [] });
      expect(await countActivity()).toBe(1);
      expect((await grace.call('GET', '/api/me/activity')).body.entries.map(gist)).toEqual([
        {
          action: 'share_grant',
          target: `experiment:grace's experiment (${backend})`,
          subject: 'nobody@localhost',
          permission: 'READ',
          outcome: 'user_not_registered',
          you: true,
        },
      ]);
      expect((await frank.call('GET', '/api/me/activity')).body.entries).toEqual([]);

      offsetMs += RETENTION_DAYS * DAY;
      expect(await stack().bff.maintenance.runOnce()).toMatchObject({ ran: true, pruned: 1 });
      expect(await countActivity()).toBe(0);
    });

    it('then pruning touches no account: the bindings and MLflow passwords stay', async () => {
      expect((await registry.rows('accounts')).map((r) => r.username).sort()).toEqual(
        [ALICE, FRANK, GRACE, HEIDI, IVAN].sort(),
      );
      expect(await signInStatus(mlflow, GRACE, GRACE_PW2)).toBe(200);
      expect((await grace.me()).body.ownership.status).toBe('owned');
    });
  });
});
