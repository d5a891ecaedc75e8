import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Permission } from '../../../api';
import { RBAC } from '../../../testing/sharingFixtures';
import ShareForm from '../ShareForm.vue';

beforeEach(() => {
  document.body.innerHTML = '';
});

function mountForm(share: (username: string, permission: Permission) => Promise<unknown>, suggestions: string[]) {
  return mount(ShareForm, {
    props: { target: { type: 'experiment', id: '7', name: 'churn', capabilities: RBAC }, share, suggestions },
    attachTo: document.body,
  });
}

describe('ShareForm with the person’s machine accounts', () => {
  it('when there are none, then nothing more is offered', () => {
    const wrapper = mountForm(vi.fn(), []);
    expect(wrapper.find('[role="group"]').exists()).toBe(false);
  });

  it('when one is chosen, then its username fills the field, focus goes there, and sharing sends it', async () => {
    const share = vi.fn(async () => {});
    const wrapper = mountForm(share, ['ada@example.org/ci', 'ada@example.org/etl']);

    const group = wrapper.find('[role="group"]');
    expect(group.attributes('aria-labelledby')).toBe(group.find('p').attributes('id'));
    expect(group.find('p').text()).toBe('Or one of your machine accounts');
    await group.findAll('button')[1]!.trigger('click');

    const input = wrapper.find('input');
    expect((input.element as HTMLInputElement).value).toBe('ada@example.org/etl');
    expect(document.activeElement).toBe(input.element);

    await wrapper.find('form').trigger('submit');
    await flushPromises();
    expect(share).toHaveBeenCalledWith('ada@example.org/etl', 'READ');
  });

  it('when an owner’s username is no email, then their machine account is still accepted', async () => {
    const share = vi.fn(async () => {});
    const wrapper = mountForm(share, ['legacy-user/ci']);
    await wrapper.find('[role="group"] button').trigger('click');
    await wrapper.find('form').trigger('submit');
    await flushPromises();
    expect(share).toHaveBeenCalledWith('legacy-user/ci', 'READ');
  });
});
