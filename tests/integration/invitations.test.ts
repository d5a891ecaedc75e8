/**
 * Invitations against real MLflow servers of both permission-API generations (3.18 RBAC, 2.21.2 legacy):
 * sharing with an email that has no MLflow account leaves a pending grant, which is applied when that email
 * registers. Every claim is checked against MLflow itself, with the invited person's own credentials, and
 * in the registry database. The BFF's clock is moved forward instead of waiting for expiry, and the tests
 * run the maintenance rounds themselves (the schedule is stopped).
 */
import { MLFLOW_CURRENT, MLFLOW_LEGACY } from '../support/mlflow-venv.js';
import { mlflowAs, mlflowUser } from '../support/mlflow-direct.js';
import { openRegistryReader, type RegistryReader } from '../support/registry-db.js';
import { useStack, type ApiSession } from '../support/stack.js';

const DAY = 86_400_000;
const FRANK = 'frank@example.org';
const GRACE = 'grace@example.org';
const IVAN = 'ivan@example.org';
const HEIDI = 'heidi@example.org';
const ALICE = 'alice@example.org';
const DAVE = 'dave@example.org';
const PASSWORDS: Record<string, string> = {
  [FRANK]: 'frank-mlflow-password-1',
  [GRACE]: 'grace-mlflow-password-2',
  [IVAN]: 'ivan-mlflow-password-3',
  [HEIDI]: 'heidi-mlflow-password-4',
  [ALICE]: 'alice-mlflow-password-5',
  [DAVE]: 'dave-mlflow-password-6',
};

/** An activity entry in short: what, on what, about whom, how it ended, and whether the service did it. */
const gist = (e: any) => ({
  action: e.action,
  target: `${e.target.type}:${e.target.id}`,
  subject: e.subject,
  permission: e.permission,
  outcome: e.outcome,
  service: e.actor.service,
});

describe.each([MLFLOW_CURRENT, MLFLOW_LEGACY])('invitations on MLflow %s', (version) => {
  const rbac = version === MLFLOW_CURRENT;
  let offsetMs = 0;
  const bffNow = () => Date.now() + offsetMs;
  const stack = useStack({ mlflowVersion: version, vault: false, rule: 'realm_roles', now: bffNow });
  let frank: ApiSession;
  let grace: ApiSession;
  let registry: RegistryReader;
  let experimentId: string;
  const experimentName = `invited exp ${version}`;
  const modelName = `invited-model-${version}`;

  const as = (username: string, method: string, path: string, body?: unknown) =>
    mlflowAs(stack().mlflow, username, PASSWORDS[username]!, method, path, body);
  const canRead = async (username: string) =>
    (await as(username, 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status;
  const collaborator = (type: string, id: string, user: string) =>
    `/api/${type}/${encodeURIComponent(id)}/collaborators/${encodeURIComponent(user)}`;
  const onExperiment = (user: string) => collaborator('experiment', experimentId, user);
  const invitationRows = async () =>
    (await registry.rows('invitations')).map((r) =>
      [r.resource_type, r.resource_id, r.email_key].map(String).join(':'),
    );
  const activityOf = async (session: ApiSession) =>
    ((await session.call('GET', '/api/me/activity?limit=100')).body.entries as any[]).map(gist);

  beforeAll(async () => {
    await stack().bff.maintenance.stop();
    registry = await openRegistryReader(stack().config.database);
    frank = await stack().signIn('frank');
    grace = await stack().signIn('grace');
    expect((await frank.register(PASSWORDS[FRANK]!)).status).toBe(201);
    expect((await grace.register(PASSWORDS[GRACE]!)).status).toBe(201);
    // Frank creates the resources with his own MLflow credentials, and so manages them.
    const exp = await as(FRANK, 'POST', '/api/2.0/mlflow/experiments/create', { name: experimentName });
    expect(exp.status).toBe(200);
    experimentId = String(exp.body.experiment_id);
    expect((await as(FRANK, 'POST', '/api/2.0/mlflow/registered-models/create', { name: modelName })).status).toBe(200);
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('when frank shares the experiment with an email that has no account, then 202 pending, MLflow untouched, and he can see it', async () => {
    const res = await frank.call('PUT', onExperiment('Ivan@Example.org'), { permission: 'READ' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ username: IVAN, permission: 'READ', pending: true, expires_at: expect.any(String) });
    const expires = Date.parse(res.body.expires_at);
    expect(expires).toBeGreaterThan(bffNow() + 29 * DAY);
    expect(expires).toBeLessThanOrEqual(bffNow() + 30 * DAY);
    expect(await mlflowUser(stack().mlflow, IVAN)).toBeNull();
    expect(await invitationRows()).toEqual([`experiment:${experimentId}:${IVAN}`]);

    // The look-up works on both generations, so a 2.x manager sees (and can revoke) what they invited.
    const lookup = await frank.call('GET', onExperiment(IVAN));
    expect(lookup.status).toBe(200);
    expect(lookup.body).toEqual({
      username: IVAN,
      permission: null,
      effective_permission: 'NO_PERMISSIONS',
      pending: { permission: 'READ', expires_at: res.body.expires_at },
    });
    const list = await frank.call('GET', `/api/experiment/${experimentId}/collaborators`);
    if (rbac) {
      expect(list.status).toBe(200);
      expect(list.body.collaborators).toEqual([
        { username: FRANK, permission: 'MANAGE', via: 'direct', role: null },
        { username: IVAN, permission: 'READ', via: 'invitation', role: null, expires_at: res.body.expires_at },
      ]);
    } else {
      expect(list.status).toBe(501);
    }
  });

  it('then sharing again changes its permission and renews it, and his activity shows invite and invite_change', async () => {
    const before = (await frank.call('GET', onExperiment(IVAN))).body.pending.expires_at;
    offsetMs += DAY;
    const res = await frank.call('PUT', onExperiment(IVAN), { permission: 'EDIT' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ username: IVAN, permission: 'EDIT', pending: true });
    expect(Date.parse(res.body.expires_at)).toBeGreaterThan(Date.parse(before));
    expect(await invitationRows()).toEqual([`experiment:${experimentId}:${IVAN}`]);
    expect((await activityOf(frank)).slice(0, 2)).toEqual([
      {
        action: 'invite_change',
        target: `experiment:${experimentId}`,
        subject: IVAN,
        permission: 'EDIT',
        outcome: 'ok',
        service: false,
      },
      {
        action: 'invite',
        target: `experiment:${experimentId}`,
        subject: IVAN,
        permission: 'READ',
        outcome: 'ok',
        service: false,
      },
    ]);
  });

  it('when grace, who does not manage it, shares it with an email, then 403 forbidden and no invitation is made', async () => {
    for (const user of [HEIDI, IVAN]) {
      const res = await grace.call('PUT', onExperiment(user), { permission: 'MANAGE' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect((await grace.call('GET', onExperiment(user))).status).toBe(403);
      expect((await grace.call('DELETE', onExperiment(user))).status).toBe(403);
    }
    expect(await invitationRows()).toEqual([`experiment:${experimentId}:${IVAN}`]);
    expect((await frank.call('GET', onExperiment(IVAN))).body.pending.permission).toBe('EDIT');
  });

  it('when the username is not email-shaped, then it is still 404 user_not_registered, and USE is 422 on 2.x', async () => {
    for (const user of ['nobody', 'nobody@localhost', `${FRANK}/ci-nightly`]) {
      const res = await frank.call('PUT', onExperiment(user), { permission: 'READ' });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('user_not_registered');
    }
    const use = await frank.call('PUT', onExperiment('someone@example.org'), { permission: 'USE' });
    if (rbac) {
      expect(use.status).toBe(202);
      expect((await frank.call('DELETE', onExperiment('someone@example.org'))).status).toBe(204);
    } else {
      expect(use.status).toBe(422);
      expect(use.body.error.code).toBe('permission_not_supported');
    }
    expect(await invitationRows()).toEqual([`experiment:${experimentId}:${IVAN}`]);
  });

  it('when ivan registers, then the invitation is applied: the answer says so, his own MLflow password reads the experiment and logs runs, and the activity log shows it', async () => {
    expect(await canRead(IVAN)).toBe(401);
    const ivan = await stack().signIn('ivan');
    const res = await ivan.register(PASSWORDS[IVAN]!);
    expect(res.status).toBe(201);
    expect(res.body.shared_with_you).toEqual([
      { type: 'experiment', id: experimentId, name: experimentName, permission: 'EDIT', invited_by: FRANK },
    ]);
    expect(await canRead(IVAN)).toBe(200);
    expect((await as(IVAN, 'POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })).status).toBe(200);
    expect(await invitationRows()).toEqual([]);
    // Said once: the next visit has nothing new.
    expect((await ivan.me()).body.shared_with_you).toEqual([]);

    const applied = {
      action: 'invite_apply',
      target: `experiment:${experimentId}`,
      subject: IVAN,
      permission: 'EDIT',
      outcome: 'ok',
      service: true,
    };
    expect(await activityOf(ivan)).toContainEqual(applied);
    expect((await activityOf(frank))[0]).toEqual(applied);
    // Now he has an account, the look-up shows his direct grant.
    expect((await frank.call('GET', onExperiment(IVAN))).body).toEqual({
      username: IVAN,
      permission: 'EDIT',
      effective_permission: 'EDIT',
      pending: null,
    });
  });

  it('when frank revokes an invitation, then the registration of that email grants nothing', async () => {
    const model = collaborator('registered_model', modelName, HEIDI);
    expect((await frank.call('PUT', model, { permission: 'READ' })).status).toBe(202);
    expect((await frank.call('DELETE', model)).status).toBe(204);
    const again = await frank.call('DELETE', model);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('user_not_registered');
    expect(await invitationRows()).toEqual([]);
    expect(await activityOf(frank)).toContainEqual({
      action: 'invite_revoke',
      target: `registered_model:${modelName}`,
      subject: HEIDI,
      permission: null,
      outcome: 'ok',
      service: false,
    });

    const heidi = await stack().signIn('heidi');
    const res = await heidi.register(PASSWORDS[HEIDI]!);
    expect(res.status).toBe(201);
    expect(res.body.shared_with_you).toEqual([]);
    expect(
      (await as(HEIDI, 'GET', `/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(modelName)}`)).status,
    ).toBe(403);
  });

  it('when an invitation expires, then it counts as gone, the maintenance round deletes it (invite_expire), and registering later grants nothing', async () => {
    expect((await frank.call('PUT', onExperiment(ALICE), { permission: 'READ' })).status).toBe(202);
    offsetMs += 30 * DAY + 60_000;
    expect((await frank.call('GET', onExperiment(ALICE))).status).toBe(404);

    expect(await stack().bff.maintenance.runOnce({ dryRun: true })).toMatchObject({ ran: true, invitationsExpired: 1 });
    expect(await invitationRows()).toEqual([`experiment:${experimentId}:${ALICE}`]);
    expect(await stack().bff.maintenance.runOnce()).toMatchObject({ ran: true, invitationsExpired: 1 });
    expect(await invitationRows()).toEqual([]);
    expect((await activityOf(frank))[0]).toEqual({
      action: 'invite_expire',
      target: `experiment:${experimentId}`,
      subject: ALICE,
      permission: 'READ',
      outcome: 'ok',
      service: true,
    });

    const alice = await stack().signIn('alice');
    const res = await alice.register(PASSWORDS[ALICE]!);
    expect(res.status).toBe(201);
    expect(res.body.shared_with_you).toEqual([]);
    expect(await canRead(ALICE)).toBe(403);
  });

  it('when the operator allows unverified emails (REQUIRE_VERIFIED_EMAIL=false), then dave registers but his invitation is not applied', async () => {
    await stack().restartBff({ REQUIRE_VERIFIED_EMAIL: 'false' });
    await stack().bff.maintenance.stop();
    frank = await stack().signIn('frank');
    expect((await frank.call('PUT', onExperiment(DAVE), { permission: 'READ' })).status).toBe(202);

    const dave = await stack().signIn('dave');
    expect((await dave.me()).body.user.eligible).toBe(true);
    const res = await dave.register(PASSWORDS[DAVE]!);
    expect(res.status).toBe(201);
    expect(res.body.shared_with_you).toEqual([]);
    expect((await dave.me()).body.shared_with_you).toEqual([]);
    expect(await canRead(DAVE)).toBe(403);
    // It waits (until it expires) for a sign-in that proves the address.
    expect(await invitationRows()).toEqual([`experiment:${experimentId}:${DAVE}`]);
  });

  it('when frank has INVITATIONS_PER_USER invitations waiting, then a new one is 409 invitation_limit with nothing stored, changing one still works, and a revoke makes room', async () => {
    const waiting = (await registry.rows('invitations')).filter(
      (r) => r.invited_by === FRANK && Number(r.expires_at) > bffNow(),
    ).length;
    await stack().restartBff({ INVITATIONS_PER_USER: String(waiting + 1) });
    await stack().bff.maintenance.stop();
    frank = await stack().signIn('frank');
    const first = 'first-invited@example.org';
    const second = 'second-invited@example.org';
    expect((await frank.call('PUT', onExperiment(first), { permission: 'READ' })).status).toBe(202);
    const before = await invitationRows();

    const refused = await frank.call('PUT', onExperiment(second), { permission: 'READ' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('invitation_limit');
    expect(refused.body.error.message).toContain(`(${waiting + 1})`);
    expect(await invitationRows()).toEqual(before);
    expect((await frank.call('GET', onExperiment(second))).status).toBe(404);

    expect((await frank.call('PUT', onExperiment(first), { permission: 'EDIT' })).status).toBe(202);
    expect((await frank.call('DELETE', onExperiment(first))).status).toBe(204);
    expect((await frank.call('PUT', onExperiment(second), { permission: 'READ' })).status).toBe(202);
  });

  it('when the operator turns invitations off (INVITATIONS_PER_USER=0), then an email without an account is 404 user_not_registered and nothing is stored', async () => {
    await stack().restartBff({ INVITATIONS_PER_USER: '0' });
    await stack().bff.maintenance.stop();
    frank = await stack().signIn('frank');
    const before = await invitationRows();
    const res = await frank.call('PUT', onExperiment('not-invited@example.org'), { permission: 'READ' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('user_not_registered');
    expect(await invitationRows()).toEqual(before);
  });
});
