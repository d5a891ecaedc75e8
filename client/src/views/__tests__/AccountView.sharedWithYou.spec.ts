import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { SharedWithYou } from '../../api/types';
import { configFixture, fakeBff, json, meFixture } from '../../testing/fakeBff';
import { freshPiniaPerTest, mountPage } from '../../testing/pages';
import { useAccountStore } from '../../stores/account';
import AccountView from '../AccountView.vue';
import RegisterView from '../RegisterView.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const pinia = freshPiniaPerTest();
const PASSWORD = 'correct horse battery';

const shared: SharedWithYou[] = [
  { type: 'experiment', id: '7', name: 'team/churn', permission: 'READ', invited_by: 'grace@example.org' },
  {
    type: 'registered_model',
    id: 'churn model',
    name: 'churn model',
    permission: 'EDIT',
    invited_by: 'frank@example.org',
  },
];
const text = (wrapper: { text(): string }) => wrapper.text().replace(/\s+/g, ' ');

describe('AccountView: shared with you', () => {
  it('when GET /api/me applied nothing, then there is no such section', async () => {
    fakeBff({
      'GET /api/me': json(200, meFixture({ shared_with_you: [] })),
      'GET /api/config': json(200, configFixture()),
    });
    const { wrapper } = await mountPage(AccountView, '/account', pinia());

    expect(wrapper.find('[data-testid="shared-with-you"]').exists()).toBe(false);
  });

  it('when the visit applied invitations, then the page lists each with its permission and who shared it, and links to Sharing', async () => {
    fakeBff({
      'GET /api/me': json(200, meFixture({ shared_with_you: shared })),
      'GET /api/config': json(200, configFixture()),
    });
    const { wrapper } = await mountPage(AccountView, '/account', pinia());
    const section = wrapper.find('[data-testid="shared-with-you"]');

    expect(section.find('h2').text()).toBe('Shared with you');
    expect(section.findAll('li').map(text)).toEqual([
      'Experiment team/churn: Read access, shared by grace@example.org',
      'Model churn model: Edit access, shared by frank@example.org',
    ]);
    expect(section.find('a').attributes('href')).toBe('/sharing');
  });

  it('when registering applied invitations, then the account page shows them, and a later GET /api/me (which applies nothing) keeps them for the visit', async () => {
    const bff = fakeBff({
      'GET /api/me': json(200, meFixture({ account: null })),
      'GET /api/config': json(200, configFixture()),
      'POST /api/me': json(201, {
        account: { id: 3, username: 'ada@example.org', is_admin: false, disabled: null },
        vault: { status: 'in_sync' },
        shared_with_you: shared.slice(0, 1),
      }),
    });
    const { router, wrapper } = await mountPage(RegisterView, '/register', pinia());
    const [password, confirmation] = wrapper.findAll('input[autocomplete="new-password"]');
    await password!.setValue(PASSWORD);
    await confirmation!.setValue(PASSWORD);
    await wrapper.find('form').trigger('submit');
    await flushPromises();
    expect(router.currentRoute.value.name).toBe('account');

    bff.on('GET /api/me', json(200, meFixture({ shared_with_you: [] })));
    await useAccountStore().load();
    expect(useAccountStore().sharedWithYou).toEqual(shared.slice(0, 1));
    const page = await mountPage(AccountView, '/account', pinia());
    expect(page.wrapper.find('[data-testid="shared-with-you"] li').text()).toContain('team/churn');
  });
});
