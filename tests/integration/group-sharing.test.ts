/**
 * Sharing with a group (issue 12) against real MLflow: on 3.18, the roles API facts the service relies on
 * (docs/reference/mlflow-roles-api.md), then a group grant made through the BFF reaching its members
 * through their own MLflow credentials, membership kept in step at sign-in, the member check, the
 * last-manager rule and revoke; on 2.21.2, 501 `not_supported_by_mlflow`.
 *
 * The group is the realm role `team-vision`, given with `setClaims`: Frank and Grace hold it, Heidi does not.
 */
import { useForAll } from '../support/lifecycle.js';
import { startMlflow } from '../support/mlflow.js';
import { startMlflowCallCounter, type MlflowCallCounter } from '../support/mlflow-call-counter.js';
import { MLFLOW_CURRENT, MLFLOW_LEGACY } from '../support/mlflow-venv.js';
import { mlflowAs } from '../support/mlflow-direct.js';
import { REQUIRED_REALM_ROLES_FOR_TESTS } from '../support/oidc-provider.js';
import { sleep } from '../support/timing.js';
import { startStack, useStack, type ApiSession, type Stack } from '../support/stack.js';

const GROUP = 'realm_role:team-vision';
const ROLE = 'oidc-group:realm_role:team-vision';
const env = { SHAREABLE_GROUPS: 'realm_role:team-*' };
const people = {
  frank: { email: 'frank@example.org', password: 'frank-mlflow-password-1' },
  grace: { email: 'grace@example.org', password: 'grace-mlflow-password-2' },
  heidi: { email: 'heidi@example.org', password: 'heidi-mlflow-password-3' },
};
const roles = (...extra: string[]) => ({
  realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access', ...extra] },
});
const groupPath = (experimentId: string, group = GROUP) =>
  `/api/experiment/${encodeURIComponent(experimentId)}/groups/${encodeURIComponent(group)}`;

/** Frank creates the experiment `name` in MLflow with his own credentials, so he holds MANAGE on it. Returns its id. */
async function frankCreatesExperiment(stack: Stack, name: string): Promise<string> {
  const { email, password } = people.frank;
  const exp = await mlflowAs(stack.mlflow, email, password, 'POST', '/api/2.0/mlflow/experiments/create', { name });
  return exp.body.experiment_id;
}

/** Signs in and waits for the sign-in's group sync (it runs after the redirect) to be recorded. */
async function signInSynced(stack: Stack, login: string): Promise<ApiSession> {
  const start = Date.now();
  const session = await stack.signIn(login);
  for (let i = 0; i < 200; i++) {
    const sync = (await session.call('GET', '/api/me/groups')).body.sync;
    if (sync && Date.parse(sync.attempted_at) >= start) return session;
    await sleep(50);
  }
  throw new Error(`the group sync of ${login}'s sign-in was never recorded`);
}

describe('group sharing on MLflow 3.18', () => {
  const stack = useStack({ mlflowVersion: MLFLOW_CURRENT, vault: false, rule: 'realm_roles', env });
  const admin = (method: string, path: string, body?: unknown) =>
    mlflowAs(stack().mlflow, stack().mlflow.adminUsername, stack().mlflow.adminPassword, method, path, body);
  const as = (who: keyof typeof people, method: string, path: string, body?: unknown) =>
    mlflowAs(stack().mlflow, people[who].email, people[who].password, method, path, body);
  let frank: ApiSession;
  let experimentId: string;

  beforeAll(async () => {
    stack().oidc.setClaims('frank', roles('team-vision'));
    stack().oidc.setClaims('grace', roles('team-vision', 'team-other'));
    stack().oidc.setClaims('heidi', roles());
    for (const login of ['frank', 'grace', 'heidi'] as const) {
      const session = await stack().signIn(login);
      expect((await session.register(people[login].password)).status).toBe(201);
    }
    frank = await stack().signIn('frank');
    const exp = await as('frank', 'POST', '/api/2.0/mlflow/experiments/create', { name: 'vision exp' });
    expect(exp.status).toBe(200);
    experimentId = exp.body.experiment_id;
  });

  describe('the roles API facts (docs/reference/mlflow-roles-api.md)', () => {
    let roleId: number;
    it('when a role is created without workspace, then 400; with workspace "default", then it is made; again, then 400 RESOURCE_ALREADY_EXISTS', async () => {
      expect((await admin('POST', '/api/3.0/mlflow/roles/create', { name: 'fact-role' })).status).toBe(400);
      const made = await admin('POST', '/api/3.0/mlflow/roles/create', { name: 'fact-role', workspace: 'default' });
      expect(made.status).toBe(200);
      expect(made.body.role).toMatchObject({ name: 'fact-role', workspace: 'default', permissions: [] });
      roleId = made.body.role.id;
      const again = await admin('POST', '/api/3.0/mlflow/roles/create', { name: 'fact-role', workspace: 'default' });
      expect(again.status).toBe(400);
      expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    });

    it('when a permission is added, assigned and read back, then roles/list, roles/get, roles/users/list and users/roles/list show it; update and remove change it', async () => {
      const added = await admin('POST', '/api/3.0/mlflow/roles/permissions/add', {
        role_id: roleId,
        resource_type: 'experiment',
        resource_pattern: experimentId,
        permission: 'READ',
      });
      expect(added.status).toBe(200);
      const rp = added.body.role_permission;
      expect(rp).toMatchObject({ role_id: roleId, resource_pattern: experimentId, permission: 'READ' });
      expect((await as('heidi', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
        403,
      );
      const assigned = await admin('POST', '/api/3.0/mlflow/roles/assign', {
        role_id: roleId,
        username: people.heidi.email,
      });
      expect(assigned.status).toBe(200);
      expect(assigned.body.assignment).toMatchObject({ role_id: roleId });
      expect(
        (await admin('POST', '/api/3.0/mlflow/roles/assign', { role_id: roleId, username: people.heidi.email })).body
          .error_code,
      ).toBe('RESOURCE_ALREADY_EXISTS');
      expect((await as('heidi', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
        200,
      );

      const list = await admin('GET', '/api/3.0/mlflow/roles/list?workspace=default');
      expect(list.body.roles).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: roleId, name: 'fact-role' })]),
      );
      // MLflow's own per-user roles are listed too.
      expect(list.body.roles.some((r: any) => /^__user_\d+__$/.test(r.name))).toBe(true);
      expect((await admin('GET', `/api/3.0/mlflow/roles/get?role_id=${roleId}`)).body.role.permissions).toHaveLength(1);
      const users = await admin('GET', `/api/3.0/mlflow/roles/users/list?role_id=${roleId}`);
      expect(users.body.assignments).toEqual([
        expect.objectContaining({ role_id: roleId, user_id: expect.any(Number) }),
      ]);
      const ofUser = await admin(
        'GET',
        `/api/3.0/mlflow/users/roles/list?username=${encodeURIComponent(people.heidi.email)}`,
      );
      expect(ofUser.body.roles.map((r: any) => r.name)).toContain('fact-role');

      expect(
        (
          await admin('PATCH', '/api/3.0/mlflow/roles/permissions/update', {
            role_permission_id: rp.id,
            permission: 'EDIT',
          })
        ).status,
      ).toBe(200);
      // A manager of the experiment may not add role permissions themselves.
      expect(
        (
          await as('frank', 'POST', '/api/3.0/mlflow/roles/permissions/add', {
            role_id: roleId,
            resource_type: 'experiment',
            resource_pattern: experimentId,
            permission: 'MANAGE',
          })
        ).status,
      ).toBe(403);

      // The name is roles/unassign, with DELETE.
      expect(
        (await admin('DELETE', '/api/3.0/mlflow/roles/unassign', { role_id: roleId, username: people.heidi.email }))
          .status,
      ).toBe(200);
      expect((await as('heidi', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
        403,
      );
      expect(
        (await admin('DELETE', '/api/3.0/mlflow/roles/unassign', { role_id: roleId, username: people.heidi.email }))
          .status,
      ).toBe(404);
      expect(
        (await admin('DELETE', '/api/3.0/mlflow/roles/permissions/remove', { role_permission_id: rp.id })).status,
      ).toBe(200);
      expect((await admin('DELETE', '/api/3.0/mlflow/roles/delete', { role_id: roleId })).status).toBe(200);
    });
  });

  it('when Frank lists his groups, then the shareable one is there, not shared yet, and team-other is not his', async () => {
    const mine = await frank.call('GET', '/api/me/groups');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      enabled: true,
      supported: true,
      groups: [{ id: GROUP, kind: 'realm_role', value: 'team-vision', role: null, shared: false }],
    });
  });

  it('when Heidi, a manager not in the group, shares with it, then 403 not_a_group_member and MLflow has no such role', async () => {
    const exp = await as('heidi', 'POST', '/api/2.0/mlflow/experiments/create', { name: 'heidi exp' });
    const heidi = await stack().signIn('heidi');
    const put = await heidi.call('PUT', groupPath(exp.body.experiment_id), { permission: 'READ' });
    expect(put.status).toBe(403);
    expect(put.body.error.code).toBe('not_a_group_member');
    const list = await admin('GET', '/api/3.0/mlflow/roles/list?workspace=default');
    expect(list.body.roles.map((r: any) => r.name)).not.toContain(ROLE);
  });

  it('when Grace (a member, not a manager) shares Frank’s experiment with the group, then 403 forbidden', async () => {
    const grace = await stack().signIn('grace');
    const put = await grace.call('PUT', groupPath(experimentId), { permission: 'READ' });
    expect(put.status).toBe(403);
    expect(put.body.error.code).toBe('forbidden');
  });

  it('when Frank grants READ to the group, then Grace reads it with her own credentials after her next sign-in, and Heidi does not', async () => {
    expect((await as('grace', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
      403,
    );
    const put = await frank.call('PUT', groupPath(experimentId), { permission: 'READ' });
    expect(put.status).toBe(201);
    expect(put.body).toEqual({ group: GROUP, permission: 'READ' });

    // The role, named as documented; Frank joined at once, Grace has not signed in since.
    const list = await frank.call('GET', `/api/experiment/${experimentId}/groups`);
    expect(list.body.groups).toEqual([{ group: GROUP, role: ROLE, permission: 'READ', members: 1 }]);
    expect((await as('grace', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
      403,
    );

    const grace = await signInSynced(stack(), 'grace');
    expect((await grace.call('GET', '/api/me/groups')).body.sync).toMatchObject({ outcome: 'ok', groups: [GROUP] });
    expect((await as('grace', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
      200,
    );
    expect((await as('grace', 'POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })).status).toBe(
      403,
    );
    await signInSynced(stack(), 'heidi');
    expect((await as('heidi', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
      403,
    );
    expect((await frank.call('GET', `/api/experiment/${experimentId}/groups`)).body.groups[0].members).toBe(2);

    const activity = await grace.call('GET', '/api/me/activity');
    expect(activity.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'group_join' })]));
  });

  it('when Frank changes the grant to EDIT, then Grace logs a run (200, not 201)', async () => {
    const put = await frank.call('PUT', groupPath(experimentId), { permission: 'EDIT' });
    expect(put.status).toBe(200);
    expect((await as('grace', 'POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })).status).toBe(
      200,
    );
  });

  it('when Grace loses the group at the provider, then her next sign-in takes her access away', async () => {
    stack().oidc.setClaims('grace', roles('team-other'));
    await signInSynced(stack(), 'grace');
    expect((await as('grace', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
      403,
    );
    expect((await frank.call('GET', `/api/experiment/${experimentId}/groups`)).body.groups[0].members).toBe(1);
    stack().oidc.setClaims('grace', roles('team-vision'));
    await signInSynced(stack(), 'grace');
    expect((await as('grace', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
      200,
    );
  });

  it('when the group holds MANAGE with members, then Frank may drop his own MANAGE; the group’s MANAGE is then the last and cannot be lowered', async () => {
    expect((await frank.call('PUT', groupPath(experimentId), { permission: 'MANAGE' })).status).toBe(200);
    const own = `/api/experiment/${experimentId}/collaborators/${encodeURIComponent(people.frank.email)}`;
    expect((await frank.call('DELETE', own)).status).toBe(204);
    // Frank still manages through the group; lowering the group's MANAGE would leave nobody.
    const lower = await frank.call('PUT', groupPath(experimentId), { permission: 'READ' });
    expect(lower.status).toBe(409);
    expect(lower.body.error.code).toBe('last_manager');
    const revoke = await frank.call('DELETE', groupPath(experimentId));
    expect(revoke.status).toBe(409);
    // Giving Frank MANAGE directly again lets the group's go.
    expect((await frank.call('PUT', own, { permission: 'MANAGE' })).status).toBe(201);
  });

  it('when Frank revokes the group’s grant, then Grace loses access at once; revoking again is 404 group_grant_not_found', async () => {
    expect((await frank.call('DELETE', groupPath(experimentId))).status).toBe(204);
    expect((await as('grace', 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(
      403,
    );
    expect((await frank.call('GET', `/api/experiment/${experimentId}/groups`)).body.groups).toEqual([]);
    const again = await frank.call('DELETE', groupPath(experimentId));
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('group_grant_not_found');
  });

  it('when a role named like a group role exists that the service did not make, then sharing with that group is 409 group_role_conflict', async () => {
    stack().oidc.setClaims('frank', roles('team-vision', 'team-handmade'));
    frank = await stack().signIn('frank');
    expect(
      (
        await admin('POST', '/api/3.0/mlflow/roles/create', {
          name: 'oidc-group:realm_role:team-handmade',
          workspace: 'default',
        })
      ).status,
    ).toBe(200);
    const put = await frank.call('PUT', groupPath(experimentId, 'realm_role:team-handmade'), { permission: 'READ' });
    expect(put.status).toBe(409);
    expect(put.body.error.code).toBe('group_role_conflict');
  });
});

describe('group sharing and deprovisioning on MLflow 3.18', () => {
  const stack = useStack({
    mlflowVersion: MLFLOW_CURRENT,
    vault: false,
    rule: 'realm_roles',
    env: { ...env, DEPROVISION_ON_INELIGIBLE: 'true' },
  });
  const admin = (method: string, path: string, body?: unknown) =>
    mlflowAs(stack().mlflow, stack().mlflow.adminUsername, stack().mlflow.adminPassword, method, path, body);
  const ivan = { email: 'ivan@example.org', password: 'ivan-mlflow-password-4' };
  const groupRolesOf = async (username: string) =>
    ((await admin('GET', `/api/3.0/mlflow/users/roles/list?username=${encodeURIComponent(username)}`)).body.roles as
      Array<{ name: string }> | undefined)!
      .map((r) => r.name)
      .filter((name) => name.startsWith('oidc-group:'));

  it('when a member is disabled for losing eligibility, then they leave every group role, and the log says why', async () => {
    stack().oidc.setClaims('frank', roles('team-vision'));
    stack().oidc.setClaims('ivan', roles('team-vision'));
    const frank = await stack().signIn('frank');
    expect((await frank.register(people.frank.password)).status).toBe(201);
    const ivanSession = await stack().signIn('ivan');
    expect((await ivanSession.register(ivan.password)).status).toBe(201);
    const experimentId = await frankCreatesExperiment(stack(), 'vision exp (deprovisioning)');
    expect((await frank.call('PUT', groupPath(experimentId), { permission: 'READ' })).status).toBe(201);
    await signInSynced(stack(), 'ivan');
    expect(await groupRolesOf(ivan.email)).toEqual([ROLE]);

    // Ivan leaves the VO (the eligibility role goes) but still holds team-vision at the provider.
    stack().oidc.setClaims('ivan', { realm_access: { roles: ['offline_access', 'team-vision'] } });
    const gone = await stack().signIn('ivan');
    expect((await gone.me()).body.account.disabled).toMatchObject({ reason: 'ineligible' });

    expect(await groupRolesOf(ivan.email)).toEqual([]);
    const read = await mlflowAs(
      stack().mlflow,
      ivan.email,
      ivan.password,
      'GET',
      `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`,
    );
    expect(read.status).toBe(401);
    const entries = (await gone.call('GET', '/api/me/activity')).body.entries as Array<Record<string, unknown>>;
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'group_leave', detail: 'deprovision', outcome: 'ok' }),
      ]),
    );
  });
});

describe('a group sync that MLflow fails at sign-in, on MLflow 3.18', () => {
  // A proxy between the BFF and MLflow that can fail the role assignment, as an MLflow briefly down would.
  const services = useForAll(
    'MLflow, a proxy that can fail calls, and the stack',
    async () => {
      const mlflow = await startMlflow();
      let proxy: MlflowCallCounter | undefined;
      try {
        proxy = await startMlflowCallCounter(mlflow.url);
        const stack = await startStack({
          mlflow,
          vault: false,
          rule: 'realm_roles',
          env: { ...env, MLFLOW_HOSTNAME: proxy.url },
        });
        return { mlflow, proxy, stack };
      } catch (err) {
        await proxy?.close();
        await mlflow.destroy();
        throw err;
      }
    },
    async ({ mlflow, proxy, stack }) => {
      await stack.stop();
      await proxy.close();
      await mlflow.destroy();
    },
  );
  const graceReads = async (experimentId: string) =>
    (
      await mlflowAs(
        services().stack.mlflow,
        people.grace.email,
        people.grace.password,
        'GET',
        `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`,
      )
    ).status;

  it('when the role assignment fails, then the sign-in still works and says the sync failed, the log records it, and the next sign-in joins the group', async () => {
    const { stack, proxy } = services();
    stack.oidc.setClaims('frank', roles('team-vision'));
    stack.oidc.setClaims('grace', roles('team-vision'));
    const frank = await stack.signIn('frank');
    expect((await frank.register(people.frank.password)).status).toBe(201);
    expect((await (await stack.signIn('grace')).register(people.grace.password)).status).toBe(201);
    const experimentId = await frankCreatesExperiment(stack, 'vision exp (failed sync)');
    expect((await frank.call('PUT', groupPath(experimentId), { permission: 'READ' })).status).toBe(201);

    proxy.failNext((call) => call.path === '/api/3.0/mlflow/roles/assign');
    const failed = await signInSynced(stack, 'grace');
    expect((await failed.me()).status).toBe(200);
    const sync = (await failed.call('GET', '/api/me/groups')).body.sync;
    expect(sync.outcome).toBe('mlflow_unavailable');
    expect(await graceReads(experimentId)).toBe(403);
    const entries = (await failed.call('GET', '/api/me/activity')).body.entries as Array<Record<string, unknown>>;
    expect(entries).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'group_join', outcome: 'mlflow_unavailable' })]),
    );

    const retried = await signInSynced(stack, 'grace');
    expect((await retried.call('GET', '/api/me/groups')).body.sync).toMatchObject({ outcome: 'ok', groups: [GROUP] });
    expect(await graceReads(experimentId)).toBe(200);
  });
});

describe('group sharing on MLflow 2.21.2', () => {
  const stack = useStack({ mlflowVersion: MLFLOW_LEGACY, vault: false, rule: 'realm_roles', env });

  it('when a manager shares with a group, then 501 not_supported_by_mlflow, and /api/me/groups says it is not supported', async () => {
    stack().oidc.setClaims('frank', roles('team-vision'));
    const frank = await stack().signIn('frank');
    expect((await frank.register(people.frank.password)).status).toBe(201);
    const experimentId = await frankCreatesExperiment(stack(), 'legacy exp');
    const put = await frank.call('PUT', groupPath(experimentId), { permission: 'READ' });
    expect(put.status).toBe(501);
    expect(put.body.error.code).toBe('not_supported_by_mlflow');
    expect((await frank.call('GET', `/api/experiment/${experimentId}/groups`)).status).toBe(501);
    expect((await frank.call('GET', '/api/me/groups')).body).toMatchObject({ enabled: true, supported: false });
  });
});
