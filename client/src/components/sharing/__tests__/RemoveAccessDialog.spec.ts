import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../api';
import type { AccessRow } from '../../../composables/useCollaborators';
import { collaboratorsStub } from '../../../testing/sharingFixtures';
import RemoveAccessDialog from '../RemoveAccessDialog.vue';

beforeEach(() => {
  document.body.innerHTML = '';
});

const GRACE = 'grace@example.org';
const rows: AccessRow[] = [
  { username: GRACE, permission: 'EDIT', via: 'direct', role: null },
  { username: GRACE, permission: 'READ', via: 'role', role: 'readers' },
  { username: GRACE, permission: 'USE', via: 'role', role: 'users' },
  { username: 'ada@example.org', permission: 'MANAGE', via: 'direct', role: null },
];

function mountDialog(remove: (username: string) => Promise<void>, username = GRACE) {
  const people = { ...collaboratorsStub({ rows }), remove };
  return mount(RemoveAccessDialog, {
    props: { open: true, people, resource: 'churn', username },
    attachTo: document.body,
  });
}

const button = (wrapper: ReturnType<typeof mountDialog>, text: string) =>
  wrapper.findAll('button').find((b) => b.text().startsWith(text))!;

describe('RemoveAccessDialog', () => {
  it('when opened, then it names the person, what they lose and everything their roles still give them', () => {
    const wrapper = mountDialog(vi.fn());
    const text = wrapper.text().replace(/\s+/g, ' ');

    expect(wrapper.find('h2').text()).toBe(`Remove ${GRACE}’s access?`);
    expect(text).toContain(`${GRACE} will lose the Edit access they have of their own to churn.`);
    expect(text).toContain('They keep what their roles give them: Read through role readers, Use through role users.');
  });

  it('when the person has no role grants, then nothing is said about roles', () => {
    const wrapper = mountDialog(vi.fn(), 'ada@example.org');

    expect(wrapper.text()).not.toContain('They keep');
  });

  it('when confirmed, then the grant is removed, the dialog closes and reports what to announce', async () => {
    const remove = vi.fn(async () => {});
    const wrapper = mountDialog(remove);

    await button(wrapper, 'Remove access').trigger('click');
    await flushPromises();

    expect(remove).toHaveBeenCalledWith(GRACE);
    expect(wrapper.emitted('update:open')?.at(-1)).toEqual([false]);
    expect(wrapper.emitted('removed')).toEqual([[`${GRACE} no longer has access of their own to churn.`]]);
  });

  it('when removal fails, then the server’s words are shown, the dialog stays and nothing is reported; reopening forgets them', async () => {
    const wrapper = mountDialog(() =>
      Promise.reject(new ApiError(409, 'last_manager', 'Give MANAGE to someone else first.')),
    );

    await button(wrapper, 'Remove access').trigger('click');
    await flushPromises();

    expect(wrapper.find('[role="alert"]').text()).toContain('Access was not removed');
    expect(wrapper.find('[role="alert"]').text()).toContain('Give MANAGE to someone else first.');
    expect(wrapper.emitted('update:open')).toBeUndefined();
    expect(wrapper.emitted('removed')).toBeUndefined();

    await wrapper.setProps({ open: false });
    await wrapper.setProps({ open: true });
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('when Cancel is pressed, then nothing is removed and the dialog closes', async () => {
    const remove = vi.fn();
    const wrapper = mountDialog(remove);

    await button(wrapper, 'Cancel').trigger('click');

    expect(remove).not.toHaveBeenCalled();
    expect(wrapper.emitted('update:open')?.at(-1)).toEqual([false]);
  });
});
