import { mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, ref } from 'vue';
import CollaboratorEmailField from '../CollaboratorEmailField.vue';

beforeEach(() => {
  document.body.innerHTML = '';
});

type Field = InstanceType<typeof CollaboratorEmailField>;

function mountField(slot = '') {
  const Host = defineComponent({
    components: { CollaboratorEmailField },
    setup: () => ({ email: ref(''), field: ref<Field | null>(null) }),
    template: `<CollaboratorEmailField ref="field" v-model="email">${slot}</CollaboratorEmailField>`,
  });
  const wrapper = mount(Host, { attachTo: document.body });
  const vm = wrapper.vm as unknown as { email: string; field: Field };
  return { wrapper, vm, input: () => wrapper.find('input') };
}

describe('CollaboratorEmailField', () => {
  it('when shown, then it is an email input labelled "Email address", with nothing flagged', () => {
    const { wrapper, input } = mountField();

    expect(wrapper.find(`label[for="${input().attributes('id')}"]`).text()).toBe('Email address');
    expect(input().attributes('type')).toBe('email');
    expect(input().attributes('aria-invalid')).toBeUndefined();
    expect(input().attributes('aria-describedby')).toBeUndefined();
  });

  it('when validated empty, then the field says so, is invalid, described by the message and focused', async () => {
    const { wrapper, vm, input } = mountField();

    expect(vm.field.validate()).toBeNull();
    await wrapper.vm.$nextTick();

    expect(input().attributes('aria-invalid')).toBe('true');
    expect(wrapper.find(`#${input().attributes('aria-describedby')}`).text()).toBe(
      'Enter the email address of the person.',
    );
    expect(document.activeElement).toBe(input().element);
  });

  it.each(['grace', 'grace@', '@example.org', 'grace hopper@example.org'])(
    'when validated with “%s”, then it asks for an address',
    async (typed) => {
      const { wrapper, vm, input } = mountField();
      await input().setValue(typed);

      expect(vm.field.validate()).toBeNull();
      await wrapper.vm.$nextTick();

      expect(wrapper.find('.field__error').text()).toBe('Enter an email address, such as name@example.org.');
    },
  );

  it('when validated with an address between spaces, then the address comes back trimmed and nothing is flagged', async () => {
    const { wrapper, vm, input } = mountField();
    await input().setValue('  grace@example.org ');

    expect(vm.field.validate()).toBe('grace@example.org');
    await wrapper.vm.$nextTick();

    expect(wrapper.find('.field__error').exists()).toBe(false);
  });

  it('when the person types again after a problem, then the problem goes', async () => {
    const { wrapper, vm, input } = mountField();
    vm.field.validate();
    await wrapper.vm.$nextTick();

    await input().setValue('g');

    expect(wrapper.find('.field__error').exists()).toBe(false);
    expect(input().attributes('aria-invalid')).toBeUndefined();
  });

  it('when given a button, then it sits next to the input', () => {
    const { wrapper } = mountField('<button type="submit">Look up</button>');

    expect(wrapper.find('.input-group > input + button').text()).toBe('Look up');
  });
});
