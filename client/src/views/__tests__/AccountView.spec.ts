import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { configFixture, fakeBff, json, meFixture } from '../../testing/fakeBff';
import { freshPiniaPerTest, mountPage } from '../../testing/pages';
import AccountView from '../AccountView.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const pinia = freshPiniaPerTest();

const PASSWORD = 'correct horse battery';

async function mountAccount() {
  const bff = fakeBff({
    'GET /api/me': json(200, meFixture()),
    'GET /api/config': json(
      200,
      configFixture({
        mlflow_url: 'https://mlflow.example.org/team',
        password_policy: { min_length: 16, max_length: 64 },
      }),
    ),
    'PUT /api/me/password': json(204),
  });
  return { bff, ...(await mountPage(AccountView, '/account', pinia())) };
}

describe('AccountView', () => {
  it('when shown, then the password policy and the MLflow address come from GET /api/config', async () => {
    const { wrapper } = await mountAccount();

    expect(wrapper.find('[data-requirement="min_length"]').text()).toContain('At least 16 characters');
    expect(wrapper.text()).toContain('export MLFLOW_TRACKING_URI=https://mlflow.example.org/team');
  });

  it('when the password is changed, then it is sent, the success is announced and both fields are emptied', async () => {
    const { bff, wrapper } = await mountAccount();
    const [password, confirmation] = wrapper.findAll('input[autocomplete="new-password"]');
    await password!.setValue(PASSWORD);
    await confirmation!.setValue(PASSWORD);

    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('PUT /api/me/password')[0]?.body).toEqual({ password: PASSWORD });
    expect(wrapper.find('form .alert--success').text()).toBe('Your password has been changed in MLflow and in Vault.');
    expect([(password!.element as HTMLInputElement).value, (confirmation!.element as HTMLInputElement).value]).toEqual([
      '',
      '',
    ]);
    expect(wrapper.text()).not.toContain('does not meet all the requirements');
  });
});
