import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';
import { apiError, fakeBff, json, meFixture } from '../../testing/fakeBff';
import { LEGACY, RBAC } from '../../testing/sharingFixtures';
import { useAccountStore } from '../../stores/account';
import { useCollaborators, type ShareTarget } from '../useCollaborators';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/sharing' }));

beforeEach(() => setActivePinia(createPinia()));

const MODEL = 'team/churn model ü';
const BASE = `/api/registered_model/${encodeURIComponent(MODEL)}/collaborators`;
const GRACE = 'grace@example.org';
const GRACE_PATH = `${BASE}/${encodeURIComponent(GRACE)}`;

function target(capabilities = RBAC, id = MODEL): ShareTarget {
  return { type: 'registered_model', id, name: id, capabilities };
}

async function setup(routes: Parameters<typeof fakeBff>[0], initial: ShareTarget | null = target()) {
  const bff = fakeBff({ 'GET /api/me': json(200, meFixture()), ...routes });
  await useAccountStore().load();
  const current = ref<ShareTarget | null>(initial);
  return { bff, current, people: useCollaborators(() => current.value) };
}

describe('useCollaborators on MLflow 3.13+', () => {
  const listed = json(200, {
    collaborators: [
      { username: 'zoe@example.org', permission: 'EDIT', via: 'direct', role: null },
      { username: GRACE, permission: 'READ', via: 'role', role: 'readers' },
      { username: GRACE, permission: 'EDIT', via: 'direct', role: null },
    ],
  });

  it('when loaded, then everyone with a grant is listed, by person, direct grants before role grants', async () => {
    const { people } = await setup({ [`GET ${BASE}`]: listed });

    const loading = people.load();
    expect(people.loading.value).toBe(true);
    await loading;

    expect(people.mode.value).toBe('list');
    expect(people.loading.value).toBe(false);
    expect(people.rows.value.map((r) => `${r.username} ${r.permission} ${r.via}`)).toEqual([
      'grace@example.org EDIT direct',
      'grace@example.org READ role',
      'zoe@example.org EDIT direct',
    ]);
  });

  it('when listing fails, then loadError holds the message and load does not reject', async () => {
    const { people } = await setup({
      [`GET ${BASE}`]: apiError(403, 'forbidden', 'You need MANAGE.'),
      'GET /api/resources?type=registered_model': json(200, {
        type: 'registered_model',
        capabilities: RBAC,
        resources: [],
      }),
    });

    await expect(people.load()).resolves.toBeUndefined();

    expect(people.loadError.value?.message).toBe('You need MANAGE.');
    expect(people.rows.value).toEqual([]);
  });

  it('when sharing with someone new, changing them, then removing them, then the rows follow; role grants stay', async () => {
    const { bff, people } = await setup({ [`GET ${BASE}`]: listed });
    await people.load();

    bff.on(
      `PUT ${BASE}/${encodeURIComponent('ian@example.org')}`,
      json(201, { username: 'ian@example.org', permission: 'USE' }),
    );
    await people.share('ian@example.org', 'USE');
    expect(people.rows.value.find((r) => r.username === 'ian@example.org')).toMatchObject({
      permission: 'USE',
      via: 'direct',
    });

    bff.on(`PUT ${GRACE_PATH}`, json(200, { username: GRACE, permission: 'MANAGE' }));
    await people.share(GRACE, 'MANAGE');
    expect(people.rows.value.filter((r) => r.username === GRACE).map((r) => r.permission)).toEqual(['MANAGE', 'READ']);

    bff.on(`DELETE ${GRACE_PATH}`, json(204));
    await people.remove(GRACE);
    expect(people.rows.value.filter((r) => r.username === GRACE)).toEqual([
      { username: GRACE, permission: 'READ', via: 'role', role: 'readers' },
    ]);
    expect(bff.callsTo(`PUT ${GRACE_PATH}`)[0]?.body).toEqual({ permission: 'MANAGE' });
  });

  it('when removing a grant that was already gone (404 grant_not_found), then the row goes and the message is given', async () => {
    const { bff, people } = await setup({ [`GET ${BASE}`]: listed });
    await people.load();
    bff.on(
      `DELETE ${GRACE_PATH}`,
      apiError(404, 'grant_not_found', 'grace@example.org has no direct permission on this resource.'),
    );

    await expect(people.remove(GRACE)).rejects.toMatchObject({ code: 'grant_not_found' });

    expect(people.rows.value.some((r) => r.username === GRACE && r.via === 'direct')).toBe(false);
  });

  it('when the last manager would be removed (409), then the rows stay and the server’s words are given', async () => {
    const { bff, people } = await setup({ [`GET ${BASE}`]: listed });
    await people.load();
    bff.on(`DELETE ${GRACE_PATH}`, apiError(409, 'last_manager', 'Give MANAGE to someone else first.'));

    await expect(people.remove(GRACE)).rejects.toMatchObject({
      code: 'last_manager',
      message: 'Give MANAGE to someone else first.',
    });

    expect(people.rows.value).toHaveLength(3);
  });

  it('when the panel moves to another resource while a list loads, then the late answer is dropped', async () => {
    let answer!: (r: Response) => void;
    const other = `/api/registered_model/other/collaborators`;
    const { current, people } = await setup({
      [`GET ${BASE}`]: () => new Promise<Response>((resolve) => (answer = resolve)),
      [`GET ${other}`]: json(200, { collaborators: [] }),
    });

    const first = people.load();
    current.value = target(RBAC, 'other');
    await people.load();
    answer(json(200, { collaborators: [{ username: GRACE, permission: 'READ', via: 'direct', role: null }] }));
    await first;

    expect(people.rows.value).toEqual([]);
  });
});

describe('useCollaborators before MLflow 3.13', () => {
  it('when the capabilities say collaborators cannot be listed, then it starts in lookup mode without asking', async () => {
    const { bff, people } = await setup({}, target(LEGACY));

    await people.load();

    expect(people.mode.value).toBe('lookup');
    expect(bff.calls.filter((c) => c.url.includes('/collaborators'))).toEqual([]);
  });

  it('when listing answers 501 not_supported_by_mlflow, then it falls back to lookup mode without an error', async () => {
    const { people } = await setup({
      [`GET ${BASE}`]: apiError(501, 'not_supported_by_mlflow', 'This MLflow version cannot list who has access.'),
    });

    await people.load();

    expect(people.mode.value).toBe('lookup');
    expect(people.loadError.value).toBeNull();
  });

  it('when someone is looked up, then their direct grant joins the rows; a person without one leaves them', async () => {
    const { bff, people } = await setup(
      {
        [`GET ${GRACE_PATH}`]: json(200, { username: GRACE, permission: 'EDIT', effective_permission: 'EDIT' }),
      },
      target(LEGACY),
    );
    await people.load();

    expect(await people.lookup(GRACE)).toMatchObject({ permission: 'EDIT' });
    expect(people.rows.value).toEqual([{ username: GRACE, permission: 'EDIT', via: 'direct', role: null }]);

    bff.on(
      `GET ${GRACE_PATH}`,
      json(200, { username: GRACE, permission: null, effective_permission: 'NO_PERMISSIONS' }),
    );
    await people.lookup(GRACE);
    expect(people.rows.value).toEqual([]);
  });

  it('when looking up someone without an MLflow account, then the error says to ask them to register', async () => {
    const { people } = await setup(
      {
        [`GET ${GRACE_PATH}`]: apiError(
          404,
          'user_not_registered',
          'grace has no MLflow account: they must register first.',
        ),
      },
      target(LEGACY),
    );
    await people.load();

    await expect(people.lookup(GRACE)).rejects.toMatchObject({
      message: 'grace@example.org has no MLflow account yet: ask them to register first.',
    });
  });
});
