import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api';
import { useAccountStore } from '../../stores/account';
import DeleteAccountDialog from '../DeleteAccountDialog.vue';

let pinia: Pinia;

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
});

function mountDialog() {
  return mount(DeleteAccountDialog, {
    props: { username: 'ada@example.org', vaultEnabled: true, open: true },
    global: { plugins: [pinia] },
    attachTo: document.body,
  });
}

function deleteButton(wrapper: ReturnType<typeof mountDialog>) {
  return wrapper.findAll('button').find((b) => b.text().startsWith('Delete account'))!;
}

describe('DeleteAccountDialog', () => {
  it('when opened, then it explains what is lost, including the Vault copy', () => {
    const wrapper = mountDialog();

    expect(wrapper.text()).toContain('nobody can sign in to MLflow as this user');
    expect(wrapper.text()).toContain('stay in MLflow');
    expect(wrapper.text()).toContain('Vault is removed');
  });

  it('when the typed email is incomplete or differs in case, then the delete button stays disabled', async () => {
    const wrapper = mountDialog();
    const input = wrapper.find('input');

    expect(deleteButton(wrapper).attributes('disabled')).toBeDefined();
    await input.setValue('ada@example.or');
    expect(deleteButton(wrapper).attributes('disabled')).toBeDefined();
    await input.setValue('ADA@example.org');
    expect(deleteButton(wrapper).attributes('disabled')).toBeDefined();
    await input.setValue('ada@example.org ');
    expect(deleteButton(wrapper).attributes('disabled')).toBeDefined();
  });

  it('when the email is typed exactly and the form submitted, then the account is deleted and the dialog reports it', async () => {
    const store = useAccountStore();
    const deleteAccount = vi.spyOn(store, 'deleteAccount').mockResolvedValue();
    const wrapper = mountDialog();

    await wrapper.find('input').setValue('ada@example.org');
    expect(deleteButton(wrapper).attributes('disabled')).toBeUndefined();
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(deleteAccount).toHaveBeenCalledTimes(1);
    expect(wrapper.emitted('deleted')).toHaveLength(1);
    expect(wrapper.emitted('update:open')?.at(-1)).toEqual([false]);
  });

  it('when the email does not match and the form is submitted anyway (Enter), then nothing is deleted', async () => {
    const store = useAccountStore();
    const deleteAccount = vi.spyOn(store, 'deleteAccount').mockResolvedValue();
    const wrapper = mountDialog();

    await wrapper.find('input').setValue('someone@example.org');
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(deleteAccount).not.toHaveBeenCalled();
  });

  it('when deletion is in progress, then the button is busy and disabled', async () => {
    const store = useAccountStore();
    let finish!: () => void;
    vi.spyOn(store, 'deleteAccount').mockReturnValue(new Promise<void>((resolve) => (finish = resolve)));
    const wrapper = mountDialog();

    await wrapper.find('input').setValue('ada@example.org');
    await wrapper.find('form').trigger('submit');

    expect(deleteButton(wrapper).attributes('aria-busy')).toBe('true');
    expect(deleteButton(wrapper).attributes('disabled')).toBeDefined();
    expect(deleteButton(wrapper).text()).toContain('Deleting your account');
    finish();
    await flushPromises();
  });

  it('when deletion fails, then the server message is shown as an alert and the dialog stays open', async () => {
    const store = useAccountStore();
    vi.spyOn(store, 'deleteAccount').mockRejectedValue(
      new ApiError(502, 'vault_failed', 'Vault refused; nothing was deleted.'),
    );
    const wrapper = mountDialog();

    await wrapper.find('input').setValue('ada@example.org');
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(wrapper.find('[role="alert"]').text()).toContain('Vault refused; nothing was deleted.');
    expect(wrapper.emitted('deleted')).toBeUndefined();
    expect(wrapper.emitted('update:open')).toBeUndefined();
  });
});
