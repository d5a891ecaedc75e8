/**
 * Machine accounts through the BFF against real MLflow servers of both generations (3.18 and 2.21.2), the
 * real OpenID provider and the PAPI double: made, used against MLflow with their own password, rotated,
 * shared with, disabled and removed with their owner, the limit, and username collisions tried on purpose.
 * Every claim is checked against MLflow itself (Basic auth, as a pipeline would) and in the double's store.
 *
 * The BFF's registry clock is moved forward instead of waiting, and the tests run the maintenance rounds
 * themselves (the schedule is stopped).
 */
import { MLFLOW_CURRENT, MLFLOW_LEGACY } from '../support/mlflow-venv.js';
import { mlflowAs, mlflowUser, signInStatus } from '../support/mlflow-direct.js';
import { TEST_VO, useStack, type ApiSession } from '../support/stack.js';

const DAY = 86_400_000;
const FRANK = 'frank@example.org';
const FRANK_PW = 'frank-mlflow-password-1';
const GRACE = 'grace@example.org';
const GRACE_PW = 'grace-mlflow-password-2';
const CI = `${FRANK}/ci`;
const ETL = `${FRANK}/etl`;
const HAND_MADE_PW = 'made-by-an-admin-123';

describe.each([MLFLOW_CURRENT, MLFLOW_LEGACY])('machine accounts on MLflow %s', (version) => {
  /** How far the BFF's clock runs ahead of the real one. */
  let offsetMs = 0;
  const stack = useStack({
    mlflowVersion: version,
    vault: true,
    now: () => Date.now() + offsetMs,
    env: { MACHINE_ACCOUNTS_PER_USER: '2', DEPROVISION_AFTER_DAYS: '30' },
  });
  let frank: ApiSession;
  let grace: ApiSession;
  let experimentId: string;
  /** The password of `frank@example.org/ci` that works now. */
  let ciPassword: string;

  const vaultCopy = (label: string) =>
    stack().papi!.secretFor('frank-sub', TEST_VO, `/services/mlflow/machine-accounts/${label}`);
  const signsIn = (username: string, password: string) => signInStatus(stack().mlflow, username, password);
  const asAdmin = (method: string, path: string, body?: unknown) =>
    mlflowAs(stack().mlflow, stack().mlflow.adminUsername, stack().mlflow.adminPassword, method, path, body);
  const list = async (session: ApiSession) => {
    const res = await session.call('GET', '/api/me/machine-accounts');
    expect(res.status).toBe(200);
    return res.body;
  };
  const create = (session: ApiSession, label: unknown) => session.call('POST', '/api/me/machine-accounts', { label });

  beforeAll(async () => {
    await stack().bff.maintenance.stop();
    frank = await stack().signIn('frank');
    grace = await stack().signIn('grace');
    expect((await frank.register(FRANK_PW)).status).toBe(201);
    expect((await grace.register(GRACE_PW)).status).toBe(201);
    const exp = await mlflowAs(stack().mlflow, FRANK, FRANK_PW, 'POST', '/api/2.0/mlflow/experiments/create', {
      name: 'frank/pipeline experiment',
    });
    expect(exp.status).toBe(200);
    experimentId = exp.body.experiment_id;
  });

  it('when Frank makes one, then it signs in to MLflow with its own shown-once password, Vault has a copy at its own path, and it is listed', async () => {
    const res = await create(frank, 'ci');

    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      username: CI,
      label: 'ci',
      created_at: expect.any(String),
      rotated_at: null,
      disabled: false,
      password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      vault: { status: 'in_sync' },
    });
    ciPassword = res.body.password;
    expect(await signsIn(CI, ciPassword)).toBe(200);
    expect(await signsIn(FRANK, FRANK_PW)).toBe(200);
    expect(await mlflowUser(stack().mlflow, CI)).toMatchObject({ username: CI, is_admin: false });
    expect(vaultCopy('ci')).toEqual({ username: CI, password: ciPassword });
    // Frank's own copy is left alone.
    expect(stack().papi!.secretFor('frank-sub', TEST_VO, '/services/mlflow/credentials')).toEqual({
      username: FRANK,
      password: FRANK_PW,
    });

    const listed = await list(frank);
    expect(listed).toEqual({
      limit: 2,
      machine_accounts: [
        { username: CI, label: 'ci', created_at: res.body.created_at, rotated_at: null, disabled: false },
      ],
    });
    expect(JSON.stringify(listed)).not.toContain(ciPassword);
    // Frank's own account page still works as before, with his own Vault copy.
    expect((await frank.me()).body.vault).toEqual({ status: 'in_sync' });
  });

  it('when the machine account calls MLflow with its own password, then it can do what a user with no grants can, nothing more', async () => {
    expect(
      (
        await mlflowAs(
          stack().mlflow,
          CI,
          ciPassword,
          'GET',
          `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`,
        )
      ).status,
    ).toBe(403);
    expect(
      (await mlflowAs(stack().mlflow, CI, 'not-its-password-000', 'GET', '/api/2.0/mlflow/users/get?username=x'))
        .status,
    ).toBe(401);
  });

  it.each([
    ['an @', 'ci@work', 'A label holds only the letters a–z, digits and hyphens (-).'],
    ['a /', 'ci/nightly', 'A label holds only the letters a–z, digits and hyphens (-).'],
    ['upper case', 'CI', 'A label uses lower-case letters only.'],
    ['33 characters', 'x'.repeat(33), 'A label is at most 32 characters long.'],
    ['a leading hyphen', '-ci', 'A label starts with a letter or a digit.'],
    ['nothing', '', 'A label is required, such as ci-nightly.'],
  ])('when the label has %s, then 422 names the label and MLflow gets no user', async (_what, label, message) => {
    const res = await create(frank, label);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', fields: [{ field: 'label', message }] });
    expect(await mlflowUser(stack().mlflow, `${FRANK}/${label}`)).toBeNull();
  });

  it('when the label is not a string, then 422 too', async () => {
    expect((await create(frank, 7)).status).toBe(422);
    expect((await frank.call('POST', '/api/me/machine-accounts', {})).status).toBe(422);
  });

  it('when Frank’s label is taken already, then 409 machine_account_exists and the first keeps its password', async () => {
    const res = await create(frank, 'ci');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('machine_account_exists');
    expect(await signsIn(CI, ciPassword)).toBe(200);
  });

  it('when an admin made the MLflow user <owner>/<label> by hand first, then 409 machine_account_exists, it is untouched, and it is not Frank’s', async () => {
    const handMade = `${FRANK}/taken`;
    expect(
      (await asAdmin('POST', '/api/2.0/mlflow/users/create', { username: handMade, password: HAND_MADE_PW })).status,
    ).toBe(200);

    const res = await create(frank, 'taken');

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('machine_account_exists');
    expect(await signsIn(handMade, HAND_MADE_PW)).toBe(200);
    expect((await list(frank)).machine_accounts.map((a: any) => a.label)).toEqual(['ci']);
    expect((await frank.call('DELETE', '/api/me/machine-accounts/taken')).status).toBe(404);
    expect(await mlflowUser(stack().mlflow, handMade)).not.toBeNull();
    expect((await asAdmin('DELETE', '/api/2.0/mlflow/users/delete', { username: handMade })).status).toBe(200);
  });

  it('when Grace uses the same label, then hers is another user under her own name', async () => {
    const res = await create(grace, 'ci');
    expect(res.status).toBe(201);
    expect(res.body.username).toBe(`${GRACE}/ci`);
    expect(await signsIn(`${GRACE}/ci`, res.body.password)).toBe(200);
    expect(await signsIn(CI, ciPassword)).toBe(200);
    expect((await grace.call('DELETE', '/api/me/machine-accounts/ci')).status).toBe(204);
    expect(await mlflowUser(stack().mlflow, `${GRACE}/ci`)).toBeNull();
  });

  it('when Grace aims at Frank’s machine account, then she only ever reaches her own (404), and it keeps working', async () => {
    expect((await grace.call('POST', '/api/me/machine-accounts/ci/password')).status).toBe(404);
    expect((await grace.call('DELETE', `/api/me/machine-accounts/${encodeURIComponent(CI)}`)).status).toBe(404);
    expect(await signsIn(CI, ciPassword)).toBe(200);
  });

  it('when Frank has as many as MACHINE_ACCOUNTS_PER_USER (2), then the next is 409 machine_account_limit and MLflow gets no user', async () => {
    expect((await create(frank, 'etl')).status).toBe(201);

    const res = await create(frank, 'third');

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('machine_account_limit');
    expect(await mlflowUser(stack().mlflow, `${FRANK}/third`)).toBeNull();
    expect((await list(frank)).machine_accounts.map((a: any) => a.label)).toEqual(['ci', 'etl']);
  });

  it('when one is deleted, then MLflow, Vault and the list lose it, and there is room again', async () => {
    expect(vaultCopy('etl')).toBeDefined();

    expect((await frank.call('DELETE', '/api/me/machine-accounts/etl')).status).toBe(204);

    expect(await mlflowUser(stack().mlflow, ETL)).toBeNull();
    expect(vaultCopy('etl')).toBeUndefined();
    expect((await list(frank)).machine_accounts.map((a: any) => a.label)).toEqual(['ci']);
    expect((await frank.call('DELETE', '/api/me/machine-accounts/etl')).status).toBe(404);
  });

  it('when the password is rotated, then the old one is refused, the new one works, and Vault has it', async () => {
    const res = await frank.call('POST', '/api/me/machine-accounts/ci/password');

    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/), vault: { status: 'in_sync' } });
    expect(res.body.password).not.toBe(ciPassword);
    expect(await signsIn(CI, ciPassword)).toBe(401);
    expect(await signsIn(CI, res.body.password)).toBe(200);
    expect(vaultCopy('ci')).toEqual({ username: CI, password: res.body.password });
    expect((await list(frank)).machine_accounts[0].rotated_at).toEqual(expect.any(String));
    ciPassword = res.body.password;
  });

  it('when Vault fails at rotation, then the new password works anyway, the answer says out_of_sync, and rotating again repairs the copy', async () => {
    stack().papi!.failNext({ method: 'POST' });
    const broken = await frank.call('POST', '/api/me/machine-accounts/ci/password');
    expect(broken.status).toBe(200);
    expect(broken.body.vault).toEqual({ status: 'out_of_sync' });
    expect(await signsIn(CI, broken.body.password)).toBe(200);
    expect(vaultCopy('ci')).toEqual({ username: CI, password: ciPassword });

    const repaired = await frank.call('POST', '/api/me/machine-accounts/ci/password');
    expect(repaired.body.vault).toEqual({ status: 'in_sync' });
    expect(vaultCopy('ci')).toEqual({ username: CI, password: repaired.body.password });
    ciPassword = repaired.body.password;
  });

  it('when Frank shares his experiment with it (READ, then EDIT), then it reads and then writes there with its own credentials', async () => {
    const path = `/api/experiment/${encodeURIComponent(experimentId)}/collaborators/${encodeURIComponent(CI)}`;
    const asCi = (method: string, p: string, body?: unknown) =>
      mlflowAs(stack().mlflow, CI, ciPassword, method, p, body);

    expect((await frank.call('PUT', path, { permission: 'READ' })).status).toBe(201);
    expect((await asCi('GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status).toBe(200);
    expect((await asCi('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })).status).toBe(403);

    expect((await frank.call('PUT', path, { permission: 'EDIT' })).status).toBe(200);
    expect((await asCi('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })).status).toBe(200);
    expect((await frank.call('GET', path)).body).toMatchObject({ username: CI, permission: 'EDIT' });
  });

  it('then Frank’s activity shows what happened to his machine accounts, deleted ones included', async () => {
    const res = await frank.call('GET', '/api/me/activity?limit=100');
    const machine = (res.body.entries as any[]).filter((e) => e.target.type === 'machine_account');
    expect(machine.map((e) => `${e.action} ${e.target.id} ${e.outcome}`)).toEqual(
      expect.arrayContaining([
        `machine_create ${CI} ok`,
        `machine_create ${ETL} ok`,
        `machine_delete ${ETL} ok`,
        `machine_rotate ${CI} ok`,
        `machine_create ${CI} machine_account_exists`,
        `machine_create ${FRANK}/third machine_account_limit`,
      ]),
    );
    expect(machine.every((e) => e.actor.you)).toBe(true);
    // Grace's own machine account is hers alone.
    expect(machine.some((e) => e.target.id.startsWith(`${GRACE}/`))).toBe(false);
  });

  it('when Frank has not signed in eligible for 31 days, then a round disables him and his machine account with him; rotating enables it again', async () => {
    offsetMs = 31 * DAY;
    const report = await stack().bff.maintenance.runOnce();
    expect(report.disabled).toEqual(expect.arrayContaining([FRANK]));

    expect(await signsIn(FRANK, FRANK_PW)).toBe(401);
    expect(await signsIn(CI, ciPassword)).toBe(401);
    frank = await stack().signIn('frank');
    expect((await list(frank)).machine_accounts).toEqual([expect.objectContaining({ username: CI, disabled: true })]);
    const disabled = ((await frank.call('GET', '/api/me/activity')).body.entries as any[]).find(
      (e) => e.action === 'machine_disable',
    );
    expect(disabled).toMatchObject({
      actor: { email: null, you: false, service: true },
      target: { type: 'machine_account', id: CI, name: null },
      detail: 'inactive',
      outcome: 'ok',
    });

    const rotated = await frank.call('POST', '/api/me/machine-accounts/ci/password');
    expect(rotated.status).toBe(200);
    expect(await signsIn(CI, rotated.body.password)).toBe(200);
    expect((await list(frank)).machine_accounts[0].disabled).toBe(false);
    ciPassword = rotated.body.password;
  });

  it('when Frank deletes his own account, then his machine accounts go first: MLflow, grants and Vault copies', async () => {
    expect((await create(frank, 'etl')).status).toBe(201);
    expect(vaultCopy('etl')).toBeDefined();

    expect((await frank.deleteAccount()).status).toBe(204);

    expect(await mlflowUser(stack().mlflow, FRANK)).toBeNull();
    expect(await mlflowUser(stack().mlflow, CI)).toBeNull();
    expect(await mlflowUser(stack().mlflow, ETL)).toBeNull();
    expect(await signsIn(CI, ciPassword)).toBe(401);
    expect(vaultCopy('ci')).toBeUndefined();
    expect(vaultCopy('etl')).toBeUndefined();
    expect((await frank.call('GET', '/api/me/machine-accounts')).body.error.code).toBe('not_registered');

    // Registering again starts with none: nothing of the old machine accounts comes back.
    expect((await frank.register(FRANK_PW)).status).toBe(201);
    expect((await list(frank)).machine_accounts).toEqual([]);
  });

  it('when MACHINE_ACCOUNTS_PER_USER=0, then making or rotating one is 403 machine_accounts_disabled, listing says limit 0, deleting still works', async () => {
    offsetMs = 0;
    const made = await create(grace, 'keep');
    expect(made.status).toBe(201);
    await stack().restartBff({ MACHINE_ACCOUNTS_PER_USER: '0', DEPROVISION_AFTER_DAYS: '30' });
    await stack().bff.maintenance.stop();
    grace = await stack().signIn('grace');

    const refused = await create(grace, 'another');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('machine_accounts_disabled');
    expect(await mlflowUser(stack().mlflow, `${GRACE}/another`)).toBeNull();
    expect((await grace.call('POST', '/api/me/machine-accounts/keep/password')).body.error.code).toBe(
      'machine_accounts_disabled',
    );
    expect(await signsIn(`${GRACE}/keep`, made.body.password)).toBe(200);
    expect(await list(grace)).toEqual({ limit: 0, machine_accounts: [expect.objectContaining({ label: 'keep' })] });

    expect((await grace.call('DELETE', '/api/me/machine-accounts/keep')).status).toBe(204);
    expect(await mlflowUser(stack().mlflow, `${GRACE}/keep`)).toBeNull();
  });
});
