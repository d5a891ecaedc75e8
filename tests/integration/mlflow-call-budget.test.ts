/**
 * What each action costs MLflow. Every MLflow call with Basic credentials costs it a password-hash check
 * (~140 ms of CPU), so the BFF is given a budget per action, measured with a counting proxy between the
 * BFF and a real MLflow 3.18.0 (Vault enabled, through the PAPI double). Each result is also checked
 * against MLflow or the PAPI double directly, so a cheap answer is also a right one.
 */
import { useForAll } from '../support/lifecycle.js';
import { startMlflow, type MlflowServer } from '../support/mlflow.js';
import { directExperimentPermission, mlflowAs, signInStatus } from '../support/mlflow-direct.js';
import { startMlflowCallCounter, type MlflowCallCounter } from '../support/mlflow-call-counter.js';
import { startStack, TEST_VO, type ApiSession, type Stack } from '../support/stack.js';

const SECRET_PATH = '/services/mlflow/credentials';
const A = 'frank@example.org';
const B = 'grace@example.org';
const PASSWORD_A = 'frank-mlflow-password-1';
const PASSWORD_B = 'grace-mlflow-password-2';

const services = useForAll(
  'MLflow, the counting proxy and the stack',
  async () => {
    const mlflow = await startMlflow();
    let counter: MlflowCallCounter | undefined;
    try {
      counter = await startMlflowCallCounter(mlflow.url);
      const stack = await startStack({
        mlflow,
        vault: true,
        rule: 'realm_roles',
        env: { MLFLOW_HOSTNAME: counter.url },
      });
      return { mlflow, counter, stack };
    } catch (err) {
      await counter?.close();
      await mlflow.destroy();
      throw err;
    }
  },
  async ({ mlflow, counter, stack }) => {
    await stack.stop();
    await counter.close();
    await mlflow.destroy();
  },
);
const stack = (): Stack => services().stack;
const mlflow = (): MlflowServer => services().mlflow;

/** Runs `action` and returns its result with the MLflow calls it made (`METHOD /path`). */
async function cost<T>(action: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  const { counter } = services();
  counter.reset();
  const result = await action();
  return { result, calls: counter.calls.map((c) => `${c.method} ${c.path}`) };
}

/** Fails, listing the calls, when there were more than `max` (or fewer than `min`: the action must reach MLflow). */
function expectAtMost(calls: string[], max: number, min = 0) {
  expect({ count: calls.length, calls }).toEqual({ count: Math.max(min, Math.min(calls.length, max)), calls });
}

/** The direct grant `username` holds on experiment `id`, as MLflow's admin sees it. */
const directPermission = (username: string, id: string) => directExperimentPermission(mlflow(), username, id);

describe('when a person registers and comes back to their account page', () => {
  const FIRST = 'first-password-1234';
  const SECOND = 'second-password-5678';
  let alice: ApiSession;

  it('when a person registers, then it costs MLflow at most 3 calls', async () => {
    alice = await stack().signIn('alice');
    const { result, calls } = await cost(() => alice.register(FIRST));
    expect(result.status).toBe(201);
    expect(result.body.vault.status).toBe('in_sync');
    expectAtMost(calls, 3, 1);
    expect(await signInStatus(mlflow(), 'alice@example.org', FIRST)).toBe(200);
  });

  it('when the page is loaded again and again, then after one warm-up each GET /api/me costs at most 1 MLflow call and says in_sync', async () => {
    const warmUp = await alice.me();
    expect(warmUp.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const { result, calls } = await cost(() => alice.me());
      expect({ status: result.status, vault: result.body.vault.status }).toEqual({ status: 200, vault: 'in_sync' });
      expectAtMost(calls, 1);
    }
  });

  it('when the password is changed, then it costs at most 2 MLflow calls, and the next GET /api/me checks again and says in_sync', async () => {
    const { result, calls } = await cost(() => alice.changePassword(SECOND));
    expect(result.status).toBe(204);
    expectAtMost(calls, 2, 1);
    expect(await signInStatus(mlflow(), 'alice@example.org', SECOND)).toBe(200);
    expect(stack().papi!.secretFor('alice-sub', TEST_VO, SECRET_PATH)).toEqual({
      username: 'alice@example.org',
      password: SECOND,
    });

    const next = await alice.me();
    expect(next.body.vault.status).toBe('in_sync');
    const { result: again, calls: againCalls } = await cost(() => alice.me());
    expect(again.body.vault.status).toBe('in_sync');
    expectAtMost(againCalls, 1);
  });

  it("when the Vault copy is changed behind the service's back, then GET /api/me says out_of_sync, and in_sync once it is put right", async () => {
    stack().papi!.putSecret('alice-sub', TEST_VO, SECRET_PATH, {
      username: 'alice@example.org',
      password: 'a-stale-password-0000',
    });
    expect((await alice.me()).body.vault.status).toBe('out_of_sync');
    expect((await alice.me()).body.vault.status).toBe('out_of_sync');

    stack().papi!.putSecret('alice-sub', TEST_VO, SECRET_PATH, { username: 'alice@example.org', password: SECOND });
    expect((await alice.me()).body.vault.status).toBe('in_sync');
  });
});

describe('when a manager shares an experiment', () => {
  let frank: ApiSession;
  let experimentId: string;
  const collaborator = (username: string) =>
    `/api/experiment/${experimentId}/collaborators/${encodeURIComponent(username)}`;

  beforeAll(async () => {
    frank = await stack().signIn('frank');
    const grace = await stack().signIn('grace');
    expect((await frank.register(PASSWORD_A)).status).toBe(201);
    expect((await grace.register(PASSWORD_B)).status).toBe(201);
    const created = await mlflowAs(mlflow(), A, PASSWORD_A, 'POST', '/api/2.0/mlflow/experiments/create', {
      name: 'budget experiment',
    });
    expect(created.status).toBe(200);
    experimentId = String(created.body.experiment_id);
    // What the sharing page loads before any change: the list of experiments and who has access.
    expect((await frank.call('GET', '/api/resources?type=experiment')).status).toBe(200);
    expect((await frank.call('GET', `/api/experiment/${experimentId}/collaborators`)).status).toBe(200);
  });

  it('when A grants B a permission, then it costs at most 4 MLflow calls', async () => {
    const { result, calls } = await cost(() => frank.call('PUT', collaborator(B), { permission: 'READ' }));
    expect(result.status).toBe(201);
    expectAtMost(calls, 4, 1);
    expect(await directPermission(B, experimentId)).toBe('READ');
  });

  it("when A changes B's permission, then it costs at most 4 MLflow calls", async () => {
    const { result, calls } = await cost(() => frank.call('PUT', collaborator(B), { permission: 'EDIT' }));
    expect(result.status).toBe(200);
    expectAtMost(calls, 4, 1);
    expect(await directPermission(B, experimentId)).toBe('EDIT');
  });

  it("when A revokes B's permission, then it costs at most 4 MLflow calls", async () => {
    const { result, calls } = await cost(() => frank.call('DELETE', collaborator(B)));
    expect(result.status).toBe(204);
    expectAtMost(calls, 4, 1);
    expect(await directPermission(B, experimentId)).toBeNull();
    expect(await directPermission(A, experimentId)).toBe('MANAGE');
  });
});

describe('when a person holds grants on 60 experiments', () => {
  const created: string[] = [];
  let grace: ApiSession;

  beforeAll(async () => {
    grace = await stack().signIn('grace');
    const reg = await grace.register(PASSWORD_B);
    expect([201, 409]).toContain(reg.status);
    // Created with her own credentials, so she holds MANAGE on each; the BFF has seen none of them.
    for (let i = 0; i < 60; i++) {
      const res = await mlflowAs(mlflow(), B, PASSWORD_B, 'POST', '/api/2.0/mlflow/experiments/create', {
        name: `grace experiment ${String(i).padStart(2, '0')}`,
      });
      expect(res.status).toBe(200);
      created.push(String(res.body.experiment_id));
    }
  });

  it('when they list their experiments, then it costs at most 4 MLflow calls, first time and again, with every name', async () => {
    for (const time of ['first', 'again']) {
      const { result, calls } = await cost(() => grace.call('GET', '/api/resources?type=experiment'));
      expect({ time, status: result.status }).toEqual({ time, status: 200 });
      const rows = result.body.resources as Array<{ id: string; name: string; permission: string }>;
      expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining(created));
      const mine = rows.filter((r) => created.includes(r.id));
      expect(mine.every((r) => r.permission === 'MANAGE' && /^grace experiment \d\d$/.test(r.name))).toBe(true);
      expectAtMost(calls, 4, time === 'first' ? 1 : 0);
    }
  });
});
