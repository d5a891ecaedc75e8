import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent, ref } from 'vue';
import NewPasswordFields from '../NewPasswordFields.vue';

function mountFields(props: Record<string, unknown> = {}) {
  const Host = defineComponent({
    components: { NewPasswordFields },
    setup: () => ({ password: ref(''), confirmation: ref(''), props }),
    template: `<NewPasswordFields v-model:password="password" v-model:confirmation="confirmation"
      :policy="{ min_length: 12, max_length: 256 }" email="ada@example.org" v-bind="props" />`,
  });
  return mount(Host, { attachTo: document.body });
}

function states(wrapper: ReturnType<typeof mountFields>) {
  return Object.fromEntries(
    wrapper.findAll('[data-requirement]').map((li) => [li.attributes('data-requirement'), li.text()]),
  );
}

describe('NewPasswordFields', () => {
  it('when nothing is typed, then every requirement is listed with its state in words', () => {
    const wrapper = mountFields();

    const items = states(wrapper);
    expect(items.min_length).toContain('At least 12 characters');
    expect(items.min_length).toContain('(not met)');
    expect(items.max_length).toContain('(met)');
    expect(items.no_control_characters).toContain('No control characters (such as tab or newline) (met)');
    expect(wrapper.text()).toContain('2 of 5 requirements met.');
  });

  it('when a good password is typed and confirmed, then every requirement turns met before submitting', async () => {
    const wrapper = mountFields();
    const [password, confirmation] = wrapper.findAll('input');

    await password!.setValue('correct horse battery');
    await confirmation!.setValue('correct horse battery');

    for (const text of Object.values(states(wrapper))) expect(text).toContain('(met)');
    expect(wrapper.text()).toContain('5 of 5 requirements met.');
    expect((wrapper.vm as unknown as { password: string }).password).toBe('correct horse battery');
  });

  it('when the password is the email address, then that requirement is not met', async () => {
    const wrapper = mountFields();

    await wrapper.findAll('input')[0]!.setValue('Ada@Example.org');

    expect(states(wrapper).not_email).toContain('(not met)');
  });

  it('when a pasted password holds a tab, then that requirement is not met and, once flagged, the password field is invalid', async () => {
    const wrapper = mountFields({ flagUnmet: true });
    const [password, confirmation] = wrapper.findAll('input');

    await password!.setValue('correct horse\tbattery');
    await confirmation!.setValue('correct horse\tbattery');

    expect(states(wrapper).no_control_characters).toContain('(not met)');
    expect(password!.attributes('aria-invalid')).toBe('true');
    expect(confirmation!.attributes('aria-invalid')).toBeUndefined();
  });

  it('when both fields are labelled and described, then screen readers get the requirements list', () => {
    const wrapper = mountFields();
    const requirementsId = wrapper.find('[data-requirement]').element.closest('div')!.id;

    for (const input of wrapper.findAll('input')) {
      expect(wrapper.find(`label[for="${input.attributes('id')}"]`).exists()).toBe(true);
      expect(input.attributes('aria-describedby')).toContain(requirementsId);
    }
  });

  it('when the show toggle is pressed, then the password becomes visible and aria-pressed says so', async () => {
    const wrapper = mountFields();
    const toggle = wrapper.findAll('button')[0]!;
    const input = wrapper.findAll('input')[0]!;

    expect(toggle.attributes('aria-pressed')).toBe('false');
    expect(toggle.text()).toContain('Show password');
    expect(input.attributes('type')).toBe('password');

    await toggle.trigger('click');

    expect(toggle.attributes('aria-pressed')).toBe('true');
    expect(input.attributes('type')).toBe('text');
  });

  it('when the server named a problem with the password, then it is shown next to the field', () => {
    const wrapper = mountFields({ serverError: 'This password is too common.' });
    const input = wrapper.findAll('input')[0]!;

    const error = wrapper.find('.field__error');
    expect(error.text()).toBe('This password is too common.');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(input.attributes('aria-describedby')).toContain(error.attributes('id'));
  });
});
