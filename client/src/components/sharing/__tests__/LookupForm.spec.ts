import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type CollaboratorLookup } from '../../../api';
import LookupForm from '../LookupForm.vue';

beforeEach(() => {
  document.body.innerHTML = '';
});

const GRACE = 'grace@example.org';

function mountForm(lookup: (username: string) => Promise<CollaboratorLookup>) {
  return mount(LookupForm, { props: { type: 'registered_model', lookup }, attachTo: document.body });
}

describe('LookupForm', () => {
  it('when someone is looked up, then the trimmed address is asked about and the answer is said in a sentence', async () => {
    const lookup = vi.fn(async () => ({ username: GRACE, permission: null, effective_permission: 'READ' as const }));
    const wrapper = mountForm(lookup);

    await wrapper.find('input').setValue(` ${GRACE}`);
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(lookup).toHaveBeenCalledWith(GRACE);
    expect(wrapper.find('[aria-live="polite"]').text()).toBe(
      `${GRACE} has no permission of their own on this model. All grants counted, they have: Read.`,
    );
  });

  it('when the address is missing, then nobody is looked up and the field says so', async () => {
    const lookup = vi.fn();
    const wrapper = mountForm(lookup);

    await wrapper.find('form').trigger('submit');

    expect(lookup).not.toHaveBeenCalled();
    expect(wrapper.find('.field__error').text()).toBe('Enter the email address of the person.');
    expect(document.activeElement).toBe(wrapper.find('input').element);
  });

  it('when the lookup fails, then the server’s words are the alert', async () => {
    const wrapper = mountForm(() =>
      Promise.reject(new ApiError(404, 'user_not_registered', `${GRACE} has no MLflow account yet.`)),
    );

    await wrapper.find('input').setValue(GRACE);
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(wrapper.find('[role="alert"]').text()).toContain(`${GRACE} has no MLflow account yet.`);
  });

  it('when the button sits in the field, then it submits the form and is busy while the lookup runs', async () => {
    let answer!: (found: CollaboratorLookup) => void;
    const wrapper = mountForm(() => new Promise((resolve) => (answer = resolve)));

    await wrapper.find('input').setValue(GRACE);
    await wrapper.find('form').trigger('submit');

    const button = wrapper.find('.input-group button[type="submit"]');
    expect(button.attributes('aria-busy')).toBe('true');
    answer({ username: GRACE, permission: 'EDIT', effective_permission: 'EDIT' });
    await flushPromises();
    expect(button.attributes('aria-busy')).toBeUndefined();
  });
});
