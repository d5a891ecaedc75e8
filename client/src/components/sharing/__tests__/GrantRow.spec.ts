import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { EffectivePermission, Permission } from '../../../api';
import { ApiError } from '../../../api';
import GrantRow from '../GrantRow.vue';

function mountRow(permission: EffectivePermission, save = vi.fn(async (_: Permission) => {}), editable = true) {
  return mount(GrantRow, {
    props: {
      permission,
      permissions: ['READ', 'EDIT'],
      save,
      saved: (p: Permission) => `Now ${p}.`,
      holder: 'team',
      editable,
      errorTitle: 'Not changed',
    },
    slots: { default: 'Team', remove: 'Remove', readonly: '<p class="ro">Through a role</p>' },
    attachTo: document.body,
  });
}

const optionValues = (wrapper: ReturnType<typeof mountRow>) =>
  wrapper.findAll('option').map((o) => o.attributes('value'));

describe('GrantRow', () => {
  it('when the grant is one the server no longer offers, then it stays a choice; with none, READ is chosen', () => {
    expect(optionValues(mountRow('MANAGE'))).toEqual(['READ', 'EDIT', 'MANAGE']);
    const none = mountRow('NO_PERMISSIONS');
    expect(optionValues(none)).toEqual(['READ', 'EDIT']);
    expect((none.find('select').element as HTMLSelectElement).value).toBe('READ');
  });

  it('when a change is saved, then it is announced and focus stays on the row', async () => {
    const save = vi.fn(async (_: Permission) => {});
    const wrapper = mountRow('READ', save);
    expect(wrapper.find('button[type="submit"]').attributes('disabled')).toBeDefined();

    await wrapper.find('select').setValue('EDIT');
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(save).toHaveBeenCalledWith('EDIT');
    expect(wrapper.find('[aria-live="polite"]').text()).toBe('Now EDIT.');
    expect(wrapper.find('label').text()).toBe('Permission for team');
    expect(document.activeElement).toBe(wrapper.find('select').element);
  });

  it('when a change is refused, then the error is titled and the choice goes back', async () => {
    const wrapper = mountRow(
      'EDIT',
      vi.fn(() => Promise.reject(new ApiError(409, 'last_manager', 'Last one.'))),
    );

    await wrapper.find('select').setValue('READ');
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(wrapper.find('[role="alert"]').text()).toContain('Not changed');
    expect((wrapper.find('select').element as HTMLSelectElement).value).toBe('EDIT');
  });

  it('when the grant cannot be changed here, then the readonly slot shows instead of the form', () => {
    const wrapper = mountRow('READ', undefined, false);

    expect(wrapper.find('form').exists()).toBe(false);
    expect(wrapper.find('.ro').text()).toBe('Through a role');
  });
});
