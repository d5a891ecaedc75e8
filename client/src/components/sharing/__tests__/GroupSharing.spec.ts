import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { GroupGrant, MyGroups } from '../../../api/types';
import type { ShareTarget } from '../../../composables/useCollaborators';
import { useAccountStore } from '../../../stores/account';
import { apiError, fakeBff, json, meFixture, type Route } from '../../../testing/fakeBff';
import { freshPiniaPerTest } from '../../../testing/pages';
import { RBAC, resourceListFixture } from '../../../testing/sharingFixtures';
import ManageAccessDialog from '../ManageAccessDialog.vue';

vi.mock('../../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/sharing' }));

const pinia = freshPiniaPerTest();

const EXPERIMENT = 'team/exp ü';
const RESOURCE = `/api/experiment/${encodeURIComponent('7')}`;
const GROUP_ID = 'realm_role:team-vision';
const GROUP = 'team-vision (realm role)';
const OTHER = 'group:/data science';
const GROUP_PATH = `${RESOURCE}/groups/${encodeURIComponent(GROUP_ID)}`;
const target: ShareTarget = { type: 'experiment', id: '7', name: EXPERIMENT, capabilities: RBAC };

function myGroups(overrides: Partial<MyGroups> = {}): MyGroups {
  return {
    enabled: true,
    supported: true,
    groups: [
      { id: GROUP_ID, kind: 'realm_role', value: 'team-vision', role: null, shared: false },
      { id: OTHER, kind: 'group', value: '/data science', role: null, shared: false },
    ],
    sync: { outcome: 'ok', attempted_at: '2026-11-30T12:00:00Z', synced_at: '2026-11-30T12:00:00Z', groups: [] },
    ...overrides,
  };
}

const grant = (overrides: Partial<GroupGrant> = {}): GroupGrant => ({
  group: GROUP_ID,
  role: `oidc-group:${GROUP_ID}`,
  permission: 'READ',
  members: 2,
  ...overrides,
});

async function mountDialog(groups: MyGroups, routes: Record<string, Route | Response> = {}) {
  const bff = fakeBff({
    'GET /api/me': json(200, meFixture()),
    [`GET ${RESOURCE}/collaborators`]: json(200, { collaborators: [] }),
    'GET /api/me/groups': json(200, groups),
    [`GET ${RESOURCE}/groups`]: json(200, { groups: [] }),
    'GET /api/resources?type=experiment': json(200, resourceListFixture()),
    ...routes,
  });
  await useAccountStore().load();
  const wrapper = mount(ManageAccessDialog, {
    props: { target, open: true },
    global: { plugins: [pinia()] },
    attachTo: document.body,
  });
  await flushPromises();
  return { bff, wrapper };
}

const mainDialog = (w: VueWrapper) => w.findAll('dialog')[0]!;
const confirmDialog = (w: VueWrapper) =>
  w.findAll('dialog').find((d) => d.find('h2').text().startsWith('Revoke the access of group'))!;
const groupsPart = (w: VueWrapper) => mainDialog(w).find('[data-testid="group-sharing"]');
const button = (w: { findAll: VueWrapper['findAll'] }, text: string) =>
  w.findAll('button').find((b) => b.text().startsWith(text))!;
const text = (w: { text: () => string }) => w.text().replace(/\s+/g, ' ');

describe('ManageAccessDialog, the Groups part', () => {
  it.each([
    ['not enabled', { enabled: false }],
    ['not supported by MLflow 2.x', { supported: false }],
  ])('when groups are %s, then there is no Groups part and no group grants are asked for', async (_, overrides) => {
    const { bff, wrapper } = await mountDialog(myGroups(overrides));

    expect(groupsPart(wrapper).exists()).toBe(false);
    expect(mainDialog(wrapper).text()).not.toContain('Groups');
    expect(bff.callsTo(`GET ${RESOURCE}/groups`)).toHaveLength(0);
  });

  it('when groups are enabled and supported, then it lists the grants with member counts, offers the person’s own groups and says when members join', async () => {
    const { wrapper } = await mountDialog(myGroups(), {
      [`GET ${RESOURCE}/groups`]: json(200, {
        groups: [grant(), grant({ group: OTHER, permission: 'EDIT', members: 1 })],
      }),
    });

    const part = groupsPart(wrapper);
    expect(part.exists()).toBe(true);
    const heading = part.find('h3');
    expect(heading.text()).toBe('Groups');
    expect(part.attributes('aria-labelledby')).toBe(heading.attributes('id'));
    expect(text(part)).toContain(
      'Members who have not signed in since the group was first shared join at their next sign-in.',
    );
    const rows = part.findAll('.person').map(text);
    expect(rows[0]).toContain('/data science (group)');
    expect(rows[0]).toContain('1 member so far');
    expect(rows[1]).toContain(GROUP);
    expect(rows[1]).toContain('2 members so far');
    const groupSelect = part.find('select');
    expect(part.find(`label[for="${groupSelect.attributes('id')}"]`).text()).toBe('Your group');
    expect(groupSelect.findAll('option').map((o) => o.text())).toEqual([GROUP, '/data science (group)']);
    expect(groupSelect.findAll('option').map((o) => o.attributes('value'))).toEqual([GROUP_ID, OTHER]);
    expect(part.find('[data-testid="group-sync-failed"]').exists()).toBe(false);
  });

  it('when the last sign-in sync failed, then a plain notice says so', async () => {
    const { wrapper } = await mountDialog(
      myGroups({
        sync: { outcome: 'mlflow_unavailable', attempted_at: '2026-11-30T12:00:00Z', synced_at: null, groups: [] },
      }),
    );

    expect(text(groupsPart(wrapper).find('[data-testid="group-sync-failed"]'))).toContain(
      'Your group memberships could not be brought up to date at your last sign-in.',
    );
  });

  it('when granting one of the person’s groups READ, then it is sent URL-encoded, announced, and the row shows the member count', async () => {
    const { bff, wrapper } = await mountDialog(myGroups(), {
      [`PUT ${GROUP_PATH}`]: () => {
        bff.on(`GET ${RESOURCE}/groups`, json(200, { groups: [grant({ members: 3 })] }));
        return json(201, { group: GROUP_ID, permission: 'READ' });
      },
    });

    const part = groupsPart(wrapper);
    await part.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo(`PUT ${GROUP_PATH}`)[0]!.body).toEqual({ permission: 'READ' });
    expect(GROUP_PATH).toContain('realm_role%3Ateam-vision');
    expect(text(groupsPart(wrapper))).toContain(`The group ${GROUP} now has Read access to ${EXPERIMENT}.`);
    const row = groupsPart(wrapper).find('.person');
    expect(text(row)).toContain('3 members so far');
    expect((row.find('select').element as HTMLSelectElement).value).toBe('READ');
  });

  it('when changing a group’s permission in its row, then it is saved and announced', async () => {
    const { bff, wrapper } = await mountDialog(myGroups(), {
      [`GET ${RESOURCE}/groups`]: json(200, { groups: [grant()] }),
      [`PUT ${GROUP_PATH}`]: json(200, { group: GROUP_ID, permission: 'EDIT' }),
    });

    const row = groupsPart(wrapper).find('.person');
    expect(row.find('label').text()).toBe(`Permission for group ${GROUP}`);
    await row.find('select').setValue('EDIT');
    await row.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo(`PUT ${GROUP_PATH}`)[0]!.body).toEqual({ permission: 'EDIT' });
    expect(text(groupsPart(wrapper).find('.person'))).toContain(`The group ${GROUP} now has Edit access.`);
  });

  it('when revoking a group, then it asks first, sends DELETE, announces it and moves focus to the Groups heading', async () => {
    const { bff, wrapper } = await mountDialog(myGroups(), {
      [`GET ${RESOURCE}/groups`]: json(200, { groups: [grant({ permission: 'EDIT' })] }),
      [`DELETE ${GROUP_PATH}`]: json(204),
    });

    await button(groupsPart(wrapper), 'Revoke').trigger('click');
    await flushPromises();
    const confirm = confirmDialog(wrapper);
    expect(confirm.find('h2').text()).toBe(`Revoke the access of group ${GROUP}?`);
    expect(text(confirm)).toContain('will lose the Edit access');
    expect(bff.callsTo(`DELETE ${GROUP_PATH}`)).toHaveLength(0);

    await button(confirm, 'Revoke access').trigger('click');
    await flushPromises();

    expect(bff.callsTo(`DELETE ${GROUP_PATH}`)).toHaveLength(1);
    const part = groupsPart(wrapper);
    expect(part.findAll('.person')).toHaveLength(0);
    expect(text(part)).toContain(`The group ${GROUP} no longer has access to ${EXPERIMENT}.`);
    expect(document.activeElement).toBe(part.find('h3').element);
  });

  it.each([
    [403, 'not_a_group_member', 'You are not a member of the group team-vision (realm role) at your sign-in provider'],
    [409, 'group_role_conflict', 'MLflow already has a role with the name of the group team-vision (realm role)'],
  ])('when granting is refused with %i %s, then the error says why in words', async (status, code, words) => {
    const { wrapper } = await mountDialog(myGroups(), {
      [`PUT ${GROUP_PATH}`]: apiError(status, code, `server words for ${code}`),
    });

    await groupsPart(wrapper).find('form').trigger('submit');
    await flushPromises();

    const alert = groupsPart(wrapper).find('[role="alert"]');
    expect(text(alert)).toContain('Nothing was shared with the group');
    expect(text(alert)).toContain(words);
    expect(groupsPart(wrapper).findAll('.person')).toHaveLength(0);
  });

  it('when the group’s grant was gone already, then revoking says so and the row goes', async () => {
    const { wrapper } = await mountDialog(myGroups(), {
      [`GET ${RESOURCE}/groups`]: json(200, { groups: [grant()] }),
      [`DELETE ${GROUP_PATH}`]: apiError(404, 'group_grant_not_found', 'gone'),
    });

    await button(groupsPart(wrapper), 'Revoke').trigger('click');
    await flushPromises();
    await button(confirmDialog(wrapper), 'Revoke access').trigger('click');
    await flushPromises();

    expect(text(confirmDialog(wrapper).find('[role="alert"]'))).toContain(
      `The group ${GROUP} has no permission of its own on this any more.`,
    );
    expect(groupsPart(wrapper).findAll('.person')).toHaveLength(0);
  });
});
