import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import StatusMessage from '../StatusMessage.vue';

describe('StatusMessage', () => {
  it('then the polite status region stays in the page, empty until there is a message, which it then says', async () => {
    const wrapper = mount(StatusMessage, { props: { message: null } });
    const region = wrapper.find('[role="status"]');

    expect(region.exists()).toBe(true);
    expect(region.text()).toBe('');

    await wrapper.setProps({ message: 'The machine account ada@example.org/ci was deleted.' });

    expect(wrapper.find('[role="status"] .alert--success').text()).toBe(
      'The machine account ada@example.org/ci was deleted.',
    );
  });
});
