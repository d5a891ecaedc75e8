/**
 * Sharing through the BFF against real MLflow servers of both permission-API generations: 3.18 (RBAC)
 * and 2.21.2 (legacy per-resource endpoints). Every refusal is checked against MLflow directly: its
 * state must not have changed.
 */
import { MLFLOW_CURRENT, MLFLOW_LEGACY } from '../support/mlflow-venv.js';
import { mlflowAs } from '../support/mlflow-direct.js';
import { useStack, type ApiSession } from '../support/stack.js';

const PASSWORD_A = 'frank-mlflow-password-1';
const PASSWORD_B = 'grace-mlflow-password-2';
const A = 'frank@example.org';
const B = 'grace@example.org';

describe.each([MLFLOW_CURRENT, MLFLOW_LEGACY])('sharing on MLflow %s', (version) => {
  const rbac = version === MLFLOW_CURRENT;
  const stack = useStack({ mlflowVersion: version, vault: false, rule: 'realm_roles' });
  let frank: ApiSession;
  let grace: ApiSession;
  let experimentId: string;
  // MLflow 3 refuses '/' in model names; 2.x accepts it, which exercises encoded slashes end to end.
  const modelName = rbac ? 'churn model ü' : 'team/churn model ü';
  const promptName = 'summary-prompt ü';
  const experimentName = 'team/exp ü 1';

  const asA = (method: string, path: string, body?: unknown) =>
    mlflowAs(stack().mlflow, A, PASSWORD_A, method, path, body);
  const asB = (method: string, path: string, body?: unknown) =>
    mlflowAs(stack().mlflow, B, PASSWORD_B, method, path, body);
  const collaborator = (type: string, id: string, user: string) =>
    `/api/${type}/${encodeURIComponent(id)}/collaborators/${encodeURIComponent(user)}`;
  /** B's direct permission as MLflow's admin sees it: the ground truth for "MLflow unchanged". */
  async function directPermissionOf(
    username: string,
    type: 'experiment' | 'registered_model',
    id: string,
  ): Promise<string | null> {
    const admin = (method: string, path: string) =>
      mlflowAs(stack().mlflow, stack().mlflow.adminUsername, stack().mlflow.adminPassword, method, path);
    if (rbac) {
      const r = await admin('GET', `/api/3.0/mlflow/users/permissions/list?username=${encodeURIComponent(username)}`);
      const hit = (r.body.permissions as any[]).find(
        (p) => p.resource_type === type && p.resource_pattern === id && /^__user_\d+__$/.test(p.role_name),
      );
      return hit?.permission ?? null;
    }
    const r =
      type === 'experiment'
        ? await admin(
            'GET',
            `/api/2.0/mlflow/experiments/permissions/get?experiment_id=${id}&username=${encodeURIComponent(username)}`,
          )
        : await admin(
            'GET',
            `/api/2.0/mlflow/registered-models/permissions/get?name=${encodeURIComponent(id)}&username=${encodeURIComponent(username)}`,
          );
    return r.status === 404 ? null : (r.body.experiment_permission ?? r.body.registered_model_permission).permission;
  }

  beforeAll(async () => {
    frank = await stack().signIn('frank');
    grace = await stack().signIn('grace');
    expect((await frank.register(PASSWORD_A)).status).toBe(201);
    expect((await grace.register(PASSWORD_B)).status).toBe(201);
    // A creates resources with their own MLflow credentials, and so holds MANAGE on them.
    const exp = await asA('POST', '/api/2.0/mlflow/experiments/create', { name: experimentName });
    expect(exp.status).toBe(200);
    experimentId = exp.body.experiment_id;
    expect((await asA('POST', '/api/2.0/mlflow/registered-models/create', { name: modelName })).status).toBe(200);
    expect(
      (
        await asA('POST', '/api/2.0/mlflow/registered-models/create', {
          name: promptName,
          tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
        })
      ).status,
    ).toBe(200);
  });

  it('when A lists their resources, then each type shows its own, with names and MANAGE', async () => {
    const exps = await frank.call('GET', '/api/resources?type=experiment');
    expect(exps.status).toBe(200);
    expect(exps.body.capabilities).toMatchObject({
      generation: rbac ? 'rbac' : 'legacy',
      can_list_collaborators: rbac,
    });
    expect(exps.body.resources).toEqual([
      expect.objectContaining({
        id: experimentId,
        name: experimentName,
        permission: 'MANAGE',
        can_manage: true,
        pattern: false,
      }),
    ]);
    const models = await frank.call('GET', '/api/resources?type=registered_model');
    expect(models.body.resources.map((r: any) => r.name)).toEqual([modelName]);
    const prompts = await frank.call('GET', '/api/resources?type=prompt');
    expect(prompts.body.resources.map((r: any) => r.name)).toEqual([promptName]);
    expect((await grace.call('GET', '/api/resources?type=experiment')).body.resources).toEqual([]);
  });

  it('when A shares the experiment as READ, then B reads it in MLflow but cannot log a run; EDIT lets B log; revoking ends both', async () => {
    expect((await asB('GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(403);

    const put = await frank.call('PUT', collaborator('experiment', experimentId, B), { permission: 'READ' });
    expect(put.status).toBe(201);
    expect((await asB('GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(200);
    expect((await asB('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })).status).toBe(403);
    const seen = await grace.call('GET', '/api/resources?type=experiment');
    expect(seen.body.resources).toEqual([
      expect.objectContaining({ id: experimentId, name: experimentName, permission: 'READ', can_manage: false }),
    ]);

    expect((await frank.call('PUT', collaborator('experiment', experimentId, B), { permission: 'EDIT' })).status).toBe(
      200,
    );
    expect(await directPermissionOf(B, 'experiment', experimentId)).toBe('EDIT');
    expect((await asB('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })).status).toBe(200);

    const lookup = await frank.call('GET', collaborator('experiment', experimentId, B));
    expect(lookup.body).toMatchObject({ username: B, permission: 'EDIT' });

    expect((await frank.call('DELETE', collaborator('experiment', experimentId, B))).status).toBe(204);
    expect((await asB('GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(403);
    expect(await directPermissionOf(B, 'experiment', experimentId)).toBeNull();
  });

  it('when A shares a model whose name holds a slash, spaces and non-ASCII, then B can read it', async () => {
    const put = await frank.call('PUT', collaborator('registered_model', modelName, B), { permission: 'READ' });
    expect(put.status).toBe(201);
    expect(await directPermissionOf(B, 'registered_model', modelName)).toBe('READ');
    expect(
      (await asB('GET', `/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(modelName)}`)).status,
    ).toBe(200);
    expect((await frank.call('DELETE', collaborator('registered_model', modelName, B))).status).toBe(204);
    expect(await directPermissionOf(B, 'registered_model', modelName)).toBeNull();
  });

  it('when A lists collaborators, then 3.13+ lists everyone and 2.x answers 501 for the per-user lookup', async () => {
    await frank.call('PUT', collaborator('experiment', experimentId, B), { permission: 'READ' });
    const res = await frank.call('GET', `/api/experiment/${experimentId}/collaborators`);
    if (rbac) {
      expect(res.status).toBe(200);
      expect(res.body.collaborators).toEqual(
        expect.arrayContaining([
          { username: A, permission: 'MANAGE', via: 'direct', role: null },
          { username: B, permission: 'READ', via: 'direct', role: null },
        ]),
      );
    } else {
      expect(res.status).toBe(501);
      expect(res.body.error.code).toBe('not_supported_by_mlflow');
    }
    await frank.call('DELETE', collaborator('experiment', experimentId, B));
  });

  describe('when B, without MANAGE, tries to break in', () => {
    it('then B cannot grant themselves or others access, and MLflow is unchanged', async () => {
      for (const [user, permission] of [
        [B, 'MANAGE'],
        [B, 'READ'],
        [A, 'READ'],
      ] as const) {
        const res = await grace.call('PUT', collaborator('experiment', experimentId, user), { permission });
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      expect(await directPermissionOf(B, 'experiment', experimentId)).toBeNull();
      expect(await directPermissionOf(A, 'experiment', experimentId)).toBe('MANAGE');
    });

    it("then B cannot change or remove A's grant, nor list collaborators", async () => {
      expect((await grace.call('DELETE', collaborator('experiment', experimentId, A))).status).toBe(403);
      expect(
        (await grace.call('PUT', collaborator('registered_model', modelName, A), { permission: 'READ' })).status,
      ).toBe(403);
      expect((await grace.call('GET', `/api/experiment/${experimentId}/collaborators`)).status).toBe(403);
      expect((await grace.call('GET', collaborator('experiment', experimentId, A))).status).toBe(403);
      expect(await directPermissionOf(A, 'experiment', experimentId)).toBe('MANAGE');
      expect(await directPermissionOf(A, 'registered_model', modelName)).toBe('MANAGE');
    });

    it('then guessed ids and encoded-slash tricks are refused without revealing whether they exist', async () => {
      for (const path of [
        collaborator('experiment', '999999', B),
        collaborator('experiment', `${experimentId}/../1`, B),
        collaborator('registered_model', `${modelName}/../x`, B),
        `/api/registered_model/${encodeURIComponent('..')}%2F${encodeURIComponent(modelName)}/collaborators/${encodeURIComponent(B)}`,
      ]) {
        const res = await grace.call('PUT', path, { permission: 'MANAGE' });
        expect(res.status).toBe(403);
      }
      // Even A, who manages other things, cannot act on an experiment that A does not manage.
      expect((await frank.call('PUT', collaborator('experiment', '999999', B), { permission: 'READ' })).status).toBe(
        403,
      );
      expect(await directPermissionOf(B, 'experiment', '999999')).toBeNull();
    });
  });

  describe('when a change would leave nobody managing the resource', () => {
    it('then A cannot remove or lower their own last MANAGE grant (409 last_manager)', async () => {
      const lower = await frank.call('PUT', collaborator('experiment', experimentId, A), { permission: 'READ' });
      expect(lower.status).toBe(409);
      expect(lower.body.error.code).toBe('last_manager');
      expect((await frank.call('DELETE', collaborator('experiment', experimentId, A))).status).toBe(409);
      expect(await directPermissionOf(A, 'experiment', experimentId)).toBe('MANAGE');
    });

    it('then, with a second manager, the first can be lowered', async () => {
      expect(
        (await frank.call('PUT', collaborator('experiment', experimentId, B), { permission: 'MANAGE' })).status,
      ).toBe(201);
      if (rbac) {
        // MLflow 3.13+ lists the managers, so A may step down knowing B stays.
        expect(
          (await frank.call('PUT', collaborator('experiment', experimentId, A), { permission: 'READ' })).status,
        ).toBe(200);
      } else {
        // MLflow 2.x cannot list managers: A may not step down alone, but B (a manager) may lower A.
        expect(
          (await frank.call('PUT', collaborator('experiment', experimentId, A), { permission: 'READ' })).status,
        ).toBe(409);
        expect(
          (await grace.call('PUT', collaborator('experiment', experimentId, A), { permission: 'READ' })).status,
        ).toBe(200);
      }
      expect(await directPermissionOf(A, 'experiment', experimentId)).toBe('READ');
      expect(await directPermissionOf(B, 'experiment', experimentId)).toBe('MANAGE');
      // Restore for the tests after this one.
      expect(
        (await grace.call('PUT', collaborator('experiment', experimentId, A), { permission: 'MANAGE' })).status,
      ).toBe(200);
      expect((await frank.call('DELETE', collaborator('experiment', experimentId, B))).status).toBe(204);
    });
  });

  describe('when the request is wrong', () => {
    it('then an unknown target user is 404 user_not_registered and nothing is granted', async () => {
      // Not email-shaped (no dot in the domain), so not invited either: see invitations.test.ts.
      const res = await frank.call('PUT', collaborator('experiment', experimentId, 'nobody@localhost'), {
        permission: 'READ',
      });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('user_not_registered');
    });

    it('then an unknown permission is 422, an unknown type 404, and USE only where supported', async () => {
      const bad = await frank.call('PUT', collaborator('experiment', experimentId, B), { permission: 'OWNER' });
      expect(bad.status).toBe(422);
      expect(bad.body.error.fields[0].field).toBe('permission');
      expect((await frank.call('PUT', collaborator('dataset', '1', B), { permission: 'READ' })).status).toBe(404);
      expect((await frank.call('GET', '/api/resources?type=dataset')).status).toBe(422);
      const use = await frank.call('PUT', collaborator('experiment', experimentId, B), { permission: 'USE' });
      if (rbac) {
        expect(use.status).toBe(201);
        await frank.call('DELETE', collaborator('experiment', experimentId, B));
      } else {
        expect(use.status).toBe(422);
        expect(use.body.error.code).toBe('permission_not_supported');
        expect(await directPermissionOf(B, 'experiment', experimentId)).toBeNull();
      }
    });

    it('then sharing without a CSRF token is refused', async () => {
      const res = await frank.call(
        'PUT',
        collaborator('experiment', experimentId, B),
        { permission: 'READ' },
        { csrf: false },
      );
      expect(res.status).toBe(403);
      expect(await directPermissionOf(B, 'experiment', experimentId)).toBeNull();
    });
  });

  it('when a person who holds grants deletes their account, then the MLflow user is gone (2.x refuses while grants remain, so they are revoked first)', async () => {
    // B holds grants: MANAGE on an experiment of their own, and a grant A gives them.
    const created = await asB('POST', '/api/2.0/mlflow/experiments/create', { name: `grace-own-${version}` });
    expect(created.status).toBe(200);
    expect([200, 201]).toContain(
      (await frank.call('PUT', collaborator('experiment', experimentId, B), { permission: 'READ' })).status,
    );
    const deleted = await grace.deleteAccount();
    expect(deleted.status).toBe(204);
    const admin = await mlflowAs(
      stack().mlflow,
      stack().mlflow.adminUsername,
      stack().mlflow.adminPassword,
      'GET',
      `/api/2.0/mlflow/users/get?username=${encodeURIComponent(B)}`,
    );
    expect(admin.status).toBe(404);
  });
});
