import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api';
import { navigateTo } from '../../api/navigation';
import { apiError, fakeBff, json, meFixture } from '../../testing/fakeBff';
import { resourceFixture, resourceListFixture } from '../../testing/sharingFixtures';
import { useAccountStore } from '../account';
import { useSharingStore } from '../sharing';

vi.mock('../../api/navigation', () => ({
  navigateTo: vi.fn(),
  currentPath: () => '/signup/sharing?tab=models',
}));

beforeEach(() => {
  setActivePinia(createPinia());
  vi.mocked(navigateTo).mockClear();
});

const EXPERIMENTS = 'GET /api/resources?type=experiment';
const ID = 'team/exp ü';
const ENCODED = 'team%2Fexp%20%C3%BC';
const GRACE = 'grace@example.org';
const GRACE_ENCODED = 'grace%40example.org';

async function signedIn(routes: Parameters<typeof fakeBff>[0] = {}) {
  const bff = fakeBff({ 'GET /api/me': json(200, meFixture()), ...routes });
  await useAccountStore().load();
  return { bff, store: useSharingStore() };
}

describe('useSharingStore lists', () => {
  it('when a type is loaded, then GET /api/resources?type=… fills its rows and capabilities', async () => {
    const { bff, store } = await signedIn({
      'GET /api/resources?type=registered_model': json(200, resourceListFixture('registered_model')),
    });

    const loading = store.load('registered_model');
    expect(store.lists.registered_model.loading).toBe(true);
    await loading;

    expect(bff.callsTo('GET /api/resources?type=registered_model')).toHaveLength(1);
    const list = store.lists.registered_model;
    expect(list).toMatchObject({ loading: false, loaded: true, error: null });
    expect(list.capabilities?.can_list_collaborators).toBe(true);
    expect(list.resources.map((r) => r.name)).toEqual(['team/exp ü']);
    expect(store.lists.experiment.loaded).toBe(false);
  });

  it('when a type is asked for twice at once, or again once loaded, then one request is made', async () => {
    const { bff, store } = await signedIn({ [EXPERIMENTS]: json(200, resourceListFixture()) });

    await Promise.all([store.load('experiment'), store.ensureLoaded('experiment')]);
    await store.ensureLoaded('experiment');

    expect(bff.callsTo(EXPERIMENTS)).toHaveLength(1);
  });

  it('when loading fails, then the error is state (no rejection) and ensureLoaded tries again', async () => {
    const { bff, store } = await signedIn({
      [EXPERIMENTS]: apiError(503, 'mlflow_unavailable', 'MLflow is down; retry later.'),
    });

    await expect(store.load('experiment')).resolves.toBeUndefined();
    expect(store.lists.experiment.error?.message).toBe('MLflow is down; retry later.');
    expect(store.lists.experiment.loaded).toBe(false);

    bff.on(EXPERIMENTS, json(200, resourceListFixture()));
    await store.ensureLoaded('experiment');
    expect(store.lists.experiment.error).toBeNull();
    expect(store.lists.experiment.resources).toHaveLength(1);
  });

  it('when the session has ended (401), then the person is sent to sign in and back to this tab', async () => {
    const { store } = await signedIn({ [EXPERIMENTS]: apiError(401, 'session_expired', 'Your session has ended.') });

    await store.load('experiment');

    expect(navigateTo).toHaveBeenCalledWith(`/auth/login?returnTo=${encodeURIComponent('/signup/sharing?tab=models')}`);
    expect(store.lists.experiment.error?.needsSignIn).toBe(true);
  });

  it('when filtering, then only rows whose name (or an experiment id) matches are visible, ignoring case', async () => {
    const rows = [
      resourceFixture({ id: '1', name: 'Churn/Exp Ü' }),
      resourceFixture({ id: '12', name: 'forecast' }),
      resourceFixture({
        id: '*',
        name: null,
        pattern: true,
        via: 'role',
        role: 'readers',
        permission: 'READ',
        can_manage: false,
      }),
    ];
    const { store } = await signedIn({ [EXPERIMENTS]: json(200, resourceListFixture('experiment', rows)) });
    await store.load('experiment');

    store.setFilter('experiment', '  exp ü ');
    expect(store.visible('experiment').map((r) => r.id)).toEqual(['1']);
    store.setFilter('experiment', '12');
    expect(store.visible('experiment').map((r) => r.id)).toEqual(['12']);
    store.setFilter('experiment', 'all exp');
    expect(store.visible('experiment').map((r) => r.id)).toEqual(['*']);
    store.setFilter('experiment', '');
    expect(store.visible('experiment')).toHaveLength(3);
    expect(store.visible('registered_model')).toEqual([]);
  });
});

describe('useSharingStore collaborator actions', () => {
  const collaborator = `/api/experiment/${ENCODED}/collaborators/${GRACE_ENCODED}`;

  it('when listing collaborators, then the id is URL-encoded in the path', async () => {
    const { bff, store } = await signedIn({
      [`GET /api/registered_model/${ENCODED}/collaborators`]: json(200, {
        collaborators: [{ username: GRACE, permission: 'READ', via: 'direct', role: null }],
      }),
    });

    expect(await store.collaborators('registered_model', ID)).toEqual([
      { username: GRACE, permission: 'READ', via: 'direct', role: null },
    ]);
    expect(bff.calls.at(-1)?.url).toBe(`/api/registered_model/${ENCODED}/collaborators`);
  });

  it('when sharing, then PUT …/collaborators/{email} carries the permission and CSRF token, both ids encoded', async () => {
    const { bff, store } = await signedIn({
      [`PUT ${collaborator}`]: json(201, { username: GRACE, permission: 'READ' }),
    });

    expect(await store.share('experiment', ID, GRACE, 'READ')).toEqual({ username: GRACE, permission: 'READ' });

    const [call] = bff.callsTo(`PUT ${collaborator}`);
    expect(call?.body).toEqual({ permission: 'READ' });
    expect(call?.headers.get('X-CSRF-Token')).toBe('csrf-123');
    expect(call?.headers.get('Content-Type')).toBe('application/json');
  });

  it('when removing, then DELETE …/collaborators/{email} is sent with the CSRF token', async () => {
    const { bff, store } = await signedIn({ [`DELETE ${collaborator}`]: json(204) });

    await store.unshare('experiment', ID, GRACE);

    expect(bff.callsTo(`DELETE ${collaborator}`)[0]?.headers.get('X-CSRF-Token')).toBe('csrf-123');
  });

  it('when looking someone up, then GET …/collaborators/{email} answers their direct and effective permission', async () => {
    const { store } = await signedIn({
      [`GET ${collaborator}`]: json(200, { username: GRACE, permission: null, effective_permission: 'NO_PERMISSIONS' }),
    });

    expect(await store.lookup('experiment', ID, GRACE)).toEqual({
      username: GRACE,
      permission: null,
      effective_permission: 'NO_PERMISSIONS',
    });
  });

  it('when the person has no MLflow account (404 user_not_registered), then the error says to ask them to register', async () => {
    const { store } = await signedIn({
      [`PUT ${collaborator}`]: apiError(
        404,
        'user_not_registered',
        'grace@example.org has no MLflow account: they must register first.',
      ),
    });

    const error = await store.share('experiment', ID, GRACE, 'READ').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 404,
      code: 'user_not_registered',
      message: 'grace@example.org has no MLflow account yet: ask them to register first.',
    });
  });

  it.each([
    [409, 'last_manager', 'This is the last MANAGE grant on this resource: give MANAGE to someone else first.'],
    [
      422,
      'permission_not_supported',
      'This MLflow server does not support the USE permission. Choose READ, EDIT or MANAGE.',
    ],
    [503, 'mlflow_unavailable', 'MLflow is down; retry later.'],
  ])('when the BFF answers %i %s, then the server’s own words reach the caller', async (status, code, message) => {
    const { store } = await signedIn({ [`PUT ${collaborator}`]: apiError(status, code, message) });

    await expect(store.share('experiment', ID, GRACE, 'USE')).rejects.toMatchObject({ status, code, message });
  });

  it('when the person may no longer manage it (403 forbidden), then the message is shown and the list reloaded', async () => {
    const { bff, store } = await signedIn({
      [EXPERIMENTS]: json(200, resourceListFixture()),
      [`DELETE ${collaborator}`]: apiError(403, 'forbidden', 'You can only share what you manage.'),
    });
    await store.load('experiment');
    bff.on(
      EXPERIMENTS,
      json(200, resourceListFixture('experiment', [resourceFixture({ permission: 'READ', can_manage: false })])),
    );

    await expect(store.unshare('experiment', ID, GRACE)).rejects.toMatchObject({
      code: 'forbidden',
      message: 'You can only share what you manage.',
    });
    await vi.waitFor(() => expect(store.lists.experiment.resources[0]?.can_manage).toBe(false));
    expect(bff.callsTo(EXPERIMENTS)).toHaveLength(2);
  });

  it('when an action meets an ended session (401), then the person is sent to sign in again', async () => {
    const { store } = await signedIn({ [`PUT ${collaborator}`]: apiError(401, 'not_authenticated', 'Sign in first.') });

    await expect(store.share('experiment', ID, GRACE, 'READ')).rejects.toMatchObject({ code: 'not_authenticated' });

    expect(navigateTo).toHaveBeenCalledWith(`/auth/login?returnTo=${encodeURIComponent('/signup/sharing?tab=models')}`);
  });

  it('when the person changes their own grant, then their list is reloaded; for someone else it is not', async () => {
    const self = `/api/experiment/${ENCODED}/collaborators/${encodeURIComponent('ada@example.org')}`;
    const { bff, store } = await signedIn({
      [EXPERIMENTS]: json(200, resourceListFixture()),
      [`PUT ${collaborator}`]: json(200, { username: GRACE, permission: 'EDIT' }),
      [`PUT ${self}`]: json(200, { username: 'ada@example.org', permission: 'EDIT' }),
    });
    await store.load('experiment');

    await store.share('experiment', ID, GRACE, 'EDIT');
    expect(bff.callsTo(EXPERIMENTS)).toHaveLength(1);
    await store.share('experiment', ID, 'ada@example.org', 'EDIT');
    await vi.waitFor(() => expect(bff.callsTo(EXPERIMENTS)).toHaveLength(2));
  });
});
