import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import TextField from '../TextField.vue';

function mountField(props: { error?: string | null } = {}, attrs: Record<string, unknown> = {}) {
  return mount(TextField, {
    props: { modelValue: 'ci', label: 'Label', ...props },
    attrs,
    slots: { default: 'Lower-case letters only.' },
    attachTo: document.body,
  });
}

describe('TextField', () => {
  it('then the input is labelled, described by the hint, and takes no autocomplete, capitals or spell check', () => {
    const wrapper = mountField();
    const input = wrapper.find('input');
    const hint = wrapper.find('.field__hint');

    expect(wrapper.find('label').attributes('for')).toBe(input.attributes('id'));
    expect(hint.text()).toBe('Lower-case letters only.');
    expect(input.attributes('aria-describedby')).toBe(hint.attributes('id'));
    expect(input.attributes('aria-invalid')).toBeUndefined();
    expect(input.attributes()).toMatchObject({
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'off',
      spellcheck: 'false',
    });
    expect((input.element as HTMLInputElement).value).toBe('ci');
  });

  it('when there is an error, then the field is invalid and described by the hint and the error', () => {
    const wrapper = mountField({ error: 'A label uses lower-case letters only.' });
    const input = wrapper.find('input');
    const error = wrapper.find('.field__error');

    expect(error.text()).toBe('A label uses lower-case letters only.');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(input.attributes('aria-describedby')).toBe(
      `${wrapper.find('.field__hint').attributes('id')} ${error.attributes('id')}`,
    );
  });

  it('then typing updates the model, other attributes go to the input, and focus() focuses it', async () => {
    const wrapper = mountField({}, { inputmode: 'email', autofocus: '' });
    const input = wrapper.find('input');

    await input.setValue('ci-nightly');
    (wrapper.vm as unknown as { focus(): void }).focus();

    expect(wrapper.emitted('update:modelValue')).toEqual([['ci-nightly']]);
    expect(input.attributes('inputmode')).toBe('email');
    expect(input.attributes('autofocus')).toBeDefined();
    expect(wrapper.find('.field').attributes('inputmode')).toBeUndefined();
    expect(document.activeElement).toBe(input.element);
    wrapper.unmount();
  });
});
