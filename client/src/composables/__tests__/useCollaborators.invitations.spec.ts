import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';
import { apiError, fakeBff, json, meFixture } from '../../testing/fakeBff';
import { LEGACY, RBAC } from '../../testing/sharingFixtures';
import { useAccountStore } from '../../stores/account';
import { useCollaborators, type ShareTarget } from '../useCollaborators';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/sharing' }));

beforeEach(() => setActivePinia(createPinia()));

const BASE = '/api/experiment/7/collaborators';
const IVAN = 'ivan@example.org';
const IVAN_PATH = `${BASE}/${encodeURIComponent(IVAN)}`;
const UNTIL = '2026-12-30T12:00:00.000Z';

async function setup(routes: Parameters<typeof fakeBff>[0], capabilities = RBAC) {
  const bff = fakeBff({ 'GET /api/me': json(200, meFixture()), ...routes });
  await useAccountStore().load();
  const current = ref<ShareTarget | null>({ type: 'experiment', id: '7', name: 'churn', capabilities });
  return { bff, people: useCollaborators(() => current.value) };
}

describe('useCollaborators with invitations', () => {
  it('when the list holds invitations, then they follow the people, with their expiry', async () => {
    const { people } = await setup({
      [`GET ${BASE}`]: json(200, {
        collaborators: [
          { username: 'zoe@example.org', permission: 'MANAGE', via: 'direct', role: null },
          { username: 'adam@example.org', permission: 'READ', via: 'invitation', role: null, expires_at: UNTIL },
          { username: 'grace@example.org', permission: 'READ', via: 'direct', role: null },
        ],
      }),
    });
    await people.load();

    expect(people.rows.value).toEqual([
      { username: 'grace@example.org', permission: 'READ', via: 'direct', role: null },
      { username: 'zoe@example.org', permission: 'MANAGE', via: 'direct', role: null },
      { username: 'adam@example.org', permission: 'READ', via: 'invitation', role: null, expires_at: UNTIL },
    ]);
  });

  it('when sharing answers 202 pending, then the email shows as an invitation; changing it keeps it one; removing it drops it', async () => {
    const { bff, people } = await setup({ [`GET ${BASE}`]: json(200, { collaborators: [] }) });
    await people.load();

    bff.on(`PUT ${IVAN_PATH}`, json(202, { username: IVAN, permission: 'READ', pending: true, expires_at: UNTIL }));
    expect(await people.share(IVAN, 'READ')).toMatchObject({ pending: true });
    expect(people.rows.value).toEqual([
      { username: IVAN, permission: 'READ', via: 'invitation', role: null, expires_at: UNTIL },
    ]);

    bff.on(`PUT ${IVAN_PATH}`, json(202, { username: IVAN, permission: 'EDIT', pending: true, expires_at: UNTIL }));
    await people.share(IVAN, 'EDIT');
    expect(people.rows.value).toEqual([
      { username: IVAN, permission: 'EDIT', via: 'invitation', role: null, expires_at: UNTIL },
    ]);

    bff.on(`DELETE ${IVAN_PATH}`, json(204));
    await people.remove(IVAN);
    expect(people.rows.value).toEqual([]);
  });

  it('when the invitation was revoked or expired meanwhile (404 user_not_registered), then its row goes too', async () => {
    const { bff, people } = await setup({
      [`GET ${BASE}`]: json(200, {
        collaborators: [{ username: IVAN, permission: 'READ', via: 'invitation', role: null, expires_at: UNTIL }],
      }),
    });
    await people.load();
    bff.on(`DELETE ${IVAN_PATH}`, apiError(404, 'user_not_registered', `${IVAN} has no MLflow account.`));

    await expect(people.remove(IVAN)).rejects.toMatchObject({ code: 'user_not_registered' });
    expect(people.rows.value).toEqual([]);
  });

  it('when an invited email is looked up before MLflow 3.13, then its invitation joins the rows', async () => {
    const { people } = await setup(
      {
        [`GET ${IVAN_PATH}`]: json(200, {
          username: IVAN,
          permission: null,
          effective_permission: 'NO_PERMISSIONS',
          pending: { permission: 'EDIT', expires_at: UNTIL },
        }),
      },
      LEGACY,
    );
    await people.load();

    await people.lookup(IVAN);
    expect(people.rows.value).toEqual([
      { username: IVAN, permission: 'EDIT', via: 'invitation', role: null, expires_at: UNTIL },
    ]);
  });
});
