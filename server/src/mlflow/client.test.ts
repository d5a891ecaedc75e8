import { refusalOf } from '../testing/refusal.js';
import { createMlflowClient } from './client.js';

type Answer = { status: number; body: unknown; json?: boolean };

/** A fetch that answers from a table of `METHOD /path` entries and records each call. */
function fakeFetch(answers: Record<string, Answer | (() => never)>) {
  const calls: string[] = [];
  const fetchImpl = (async (input: URL | RequestInfo, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const key = `${init?.method ?? 'GET'} ${url.pathname}`;
    calls.push(key);
    const entry = answers[key];
    if (typeof entry === 'function') return entry();
    const answer = entry;
    if (!answer)
      return new Response('<html>not found</html>', { status: 404, headers: { 'content-type': 'text/html' } });
    const json = answer.json ?? typeof answer.body !== 'string';
    return new Response(json ? JSON.stringify(answer.body) : String(answer.body), {
      status: answer.status,
      headers: { 'content-type': json ? 'application/json' : 'text/html' },
    });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const client = (answers: Record<string, Answer | (() => never)>) => {
  const fake = fakeFetch(answers);
  return {
    ...fake,
    mlflow: createMlflowClient({
      baseUrl: 'http://mlflow.test',
      username: 'admin',
      password: 'admin-password-1',
      fetch: fake.fetchImpl,
    }),
  };
};

const user = { id: 2, username: 'a@example.org', is_admin: false };

describe('MLflow client', () => {
  it('when the user does not exist, then getUser answers null', async () => {
    const { mlflow } = client({
      'GET /api/2.0/mlflow/users/get': { status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no' } },
    });
    expect(await mlflow.getUser('a@example.org')).toBeNull();
  });

  it("when MLflow refuses a password with its own rule, then 422 weak_password carries MLflow's sentence", async () => {
    const { mlflow } = client({
      'POST /api/2.0/mlflow/users/create': {
        status: 400,
        body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Password must be at least 12 characters.' },
      },
    });
    expect(await refusalOf(mlflow.createUser('a@example.org', 'short'))).toMatchObject({
      status: 422,
      code: 'weak_password',
      message: 'MLflow refused the password: Password must be at least 12 characters.',
    });
  });

  it('when an MLflow 400 message carries internals, then they never reach the answer', async () => {
    const leaky = "(sqlite3.IntegrityError) [SQL: UPDATE users SET password_hash='pbkdf2:sha256:600000$abc']";
    const { mlflow } = client({
      'PATCH /api/2.0/mlflow/users/update-password': {
        status: 400,
        body: { error_code: 'INVALID_PARAMETER_VALUE', message: leaky },
      },
    });
    const err = await refusalOf(mlflow.updatePassword('a@example.org', 'x'.repeat(12)));
    expect(err).toMatchObject({ status: 422, code: 'weak_password' });
    expect(err.message).not.toMatch(/SQL|pbkdf2|sqlite/);
  });

  it('when the user already exists, then 409 already_registered (2.x puts SQL and a hash in the message: not shown)', async () => {
    const { mlflow } = client({
      'POST /api/2.0/mlflow/users/create': {
        status: 400,
        body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: "INSERT ... 'pbkdf2:sha256:1$x'" },
      },
    });
    const err = await refusalOf(mlflow.createUser('a@example.org', 'x'.repeat(12)));
    expect(err).toMatchObject({ status: 409, code: 'already_registered' });
    expect(err.message).not.toMatch(/pbkdf2|INSERT/);
  });

  it.each([
    ['a 500', { status: 500, body: 'boom' }, 503, 'mlflow_unavailable'],
    ['a 401 to the admin', { status: 401, body: 'Unauthorized' }, 503, 'mlflow_unavailable'],
    ['a 403 to the admin', { status: 403, body: 'Permission denied' }, 503, 'mlflow_unavailable'],
    ['an unexpected 400', { status: 400, body: { error_code: 'BAD_REQUEST', message: 'x' } }, 502, 'mlflow_failed'],
    ['an answer of the wrong shape', { status: 200, body: { user: { id: 'not a number' } } }, 502, 'mlflow_failed'],
  ] as const)('when MLflow answers %s, then every caller sees %i %s', async (_what, answer, status, code) => {
    const { mlflow } = client({ 'GET /api/2.0/mlflow/users/get': answer });
    expect(await refusalOf(mlflow.getUser('a@example.org'))).toMatchObject({ status, code });
  });

  it('when MLflow cannot be reached, then 503 mlflow_unavailable', async () => {
    const { mlflow } = client({
      'GET /api/2.0/mlflow/users/get': () => {
        throw new TypeError('fetch failed');
      },
    });
    expect(await refusalOf(mlflow.getUser('a@example.org'))).toMatchObject({ status: 503, code: 'mlflow_unavailable' });
  });

  it('when MLflow 2.x lacks users/current, then credentials are checked by reading the own user, and later checks cost one call', async () => {
    const { mlflow, calls } = client({ 'GET /api/2.0/mlflow/users/get': { status: 200, body: { user } } });
    expect(await mlflow.checkCredentials('a@example.org', 'pw')).toEqual({ ok: true, user });
    calls.length = 0;
    await mlflow.checkCredentials('a@example.org', 'pw');
    expect(calls).toEqual(['GET /api/2.0/mlflow/users/get']);
  });

  it('when credentials are wrong, then the check says so instead of failing', async () => {
    const { mlflow } = client({ 'GET /api/2.0/mlflow/users/current': { status: 401, body: 'Unauthorized' } });
    expect(await mlflow.checkCredentials('a@example.org', 'wrong')).toEqual({ ok: false, status: 401 });
  });

  it('when the server speaks the RBAC API, then grants come from one list call, role and direct told apart', async () => {
    const { mlflow, calls } = client({
      'GET /api/3.0/mlflow/users/permissions/list': {
        status: 200,
        body: {
          is_admin: false,
          permissions: [
            {
              resource_type: 'experiment',
              resource_pattern: '1',
              permission: 'MANAGE',
              role_name: '__user_2__',
              workspace: 'default',
            },
            {
              resource_type: 'experiment',
              resource_pattern: '*',
              permission: 'READ',
              role_name: 'readers',
              workspace: 'default',
            },
            {
              resource_type: 'experiment',
              resource_pattern: '9',
              permission: 'MANAGE',
              role_name: 'other',
              workspace: 'team-b',
            },
            { resource_type: 'gateway_secret', resource_pattern: 'x', permission: 'USE', role_name: '__user_2__' },
          ],
        },
      },
    });
    const api = await mlflow.permissions(async () => false);
    calls.length = 0;
    expect(api.generation).toBe('rbac');
    expect(await api.userAccess('a@example.org')).toEqual({
      username: 'a@example.org',
      isAdmin: false,
      grants: [
        {
          resourceType: 'experiment',
          resourceId: '1',
          permission: 'MANAGE',
          via: 'direct',
          roleName: null,
          pattern: false,
        },
        {
          resourceType: 'experiment',
          resourceId: '*',
          permission: 'READ',
          via: 'role',
          roleName: 'readers',
          pattern: true,
        },
      ],
    });
    expect(calls).toHaveLength(1);
  });

  it('when the RBAC list route is an HTML 404, then the legacy generation is used', async () => {
    const { mlflow } = client({});
    const api = await mlflow.permissions(async () => false);
    expect(api).toMatchObject({ generation: 'legacy', canListCollaborators: false });
    expect(api.supports('USE')).toBe(false);
  });
});
