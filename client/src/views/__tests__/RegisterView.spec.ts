import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { apiError, configFixture, fakeBff, json, meFixture, ownershipFixture, type Route } from '../../testing/fakeBff';
import { freshPiniaPerTest, mountPage } from '../../testing/pages';
import RegisterView from '../RegisterView.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/register' }));

const pinia = freshPiniaPerTest();

const PASSWORD = 'correct horse battery';
const withPolicies = configFixture({
  password_policy: { min_length: 14, max_length: 64 },
  privacy_policy_url: 'https://example.org/privacy',
  terms_of_use_url: 'https://example.org/terms',
});

async function mountAt(
  config: Route | Response = json(200, withPolicies),
  routes: Record<string, Route | Response> = {},
) {
  const bff = fakeBff({ 'GET /api/me': json(200, meFixture({ account: null })), 'GET /api/config': config, ...routes });
  return { bff, ...(await mountPage(RegisterView, '/register', pinia())) };
}

async function fillIn(wrapper: Awaited<ReturnType<typeof mountAt>>['wrapper'], password: string) {
  const [first, second] = wrapper.findAll('input[autocomplete="new-password"]');
  await first!.setValue(password);
  await second!.setValue(password);
  await wrapper.find('input[type="checkbox"]').setValue(true);
  return first!;
}

describe('RegisterView', () => {
  it('when the email has capitals, then the username shown is the one the BFF will create (ownership.username)', async () => {
    fakeBff({
      'GET /api/me': json(
        200,
        meFixture({
          user: { email: 'Ada@Example.org', name: null, eligible: true, ineligible: null },
          ownership: ownershipFixture('none', { username: 'ada@example.org' }),
          account: null,
        }),
      ),
      'GET /api/config': json(200, withPolicies),
    });
    const { wrapper } = await mountPage(RegisterView, '/register', pinia());

    expect(wrapper.find('[data-testid="username"]').text()).toBe('ada@example.org');
    expect(wrapper.find('input[autocomplete="username"]').attributes('value')).toBe('ada@example.org');
  });

  it('when the configuration is loaded, then the password policy and the links come from GET /api/config', async () => {
    const { wrapper } = await mountAt();

    expect(wrapper.find('[data-requirement="min_length"]').text()).toContain('At least 14 characters');
    expect(wrapper.find('[data-requirement="max_length"]').text()).toContain('At most 64 characters');
    expect(wrapper.find('.page-intro a').attributes('href')).toBe('https://mlflow.example.org');
    expect(wrapper.find('label a[href="https://example.org/privacy"]').exists()).toBe(true);
    expect(wrapper.find('label a[href="https://example.org/terms"]').exists()).toBe(true);
  });

  it('when the configuration could not be loaded, then the page says so instead of the form, and Try again brings the form', async () => {
    const { bff, wrapper } = await mountAt(apiError(503, 'mlflow_unavailable', 'MLflow is down; retry later.'));

    expect(wrapper.find('form').exists()).toBe(false);
    expect(wrapper.find('[role="alert"]').text()).toContain('MLflow is down; retry later.');

    bff.on('GET /api/config', json(200, withPolicies));
    await wrapper.find('[role="alert"] button').trigger('click');
    await flushPromises();

    expect(wrapper.find('form').exists()).toBe(true);
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('when the password holds a tab (a password field drops newlines itself), then the requirement says so and nothing is sent', async () => {
    const { bff, wrapper } = await mountAt();
    await fillIn(wrapper, `${PASSWORD}\t`);

    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(wrapper.find('[data-requirement="no_control_characters"]').attributes('data-met')).toBe('false');
    expect(wrapper.text()).toContain('Your password does not meet all the requirements yet.');
    expect(bff.callsTo('POST /api/me')).toHaveLength(0);
  });

  it('when the server refuses control characters (422 password_invalid_characters), then its message is shown and focus returns to the password', async () => {
    const message = 'The password must not contain control characters.';
    const { bff, wrapper } = await mountAt(undefined, {
      'POST /api/me': apiError(422, 'password_invalid_characters', message),
    });
    const password = await fillIn(wrapper, PASSWORD);
    (wrapper.find('button[type="submit"]').element as HTMLButtonElement).focus();

    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('POST /api/me')[0]?.body).toEqual({ password: PASSWORD });
    const alert = wrapper.find('[role="alert"]');
    expect(alert.text()).toContain('Your account was not created');
    expect(alert.text()).toContain(message);
    expect(document.activeElement).toBe(password.element);
  });
});
