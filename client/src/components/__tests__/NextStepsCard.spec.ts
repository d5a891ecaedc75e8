import { mount } from '@vue/test-utils';
import { createPinia } from 'pinia';
import { describe, expect, it } from 'vitest';
import NextStepsCard from '../NextStepsCard.vue';

describe('NextStepsCard', () => {
  it('then it is a section named "What you can do", with the advice and then "Sign out"', () => {
    const wrapper = mount(NextStepsCard, {
      slots: { default: '<p>Ask the service desk.</p>' },
      global: { plugins: [createPinia()] },
    });
    const section = wrapper.find('section');

    expect(wrapper.find(`#${section.attributes('aria-labelledby')}`).text()).toBe('What you can do');
    expect(section.find('p').text()).toBe('Ask the service desk.');
    expect(section.find('.actions button').text()).toBe('Sign out');
  });
});
