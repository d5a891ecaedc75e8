import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory } from 'vue-router';
import type { Me } from '../../api/types';
import { createAppRouter } from '../../router';
import { apiError, fakeBff, json, meFixture, notOwnerMeFixture } from '../../testing/fakeBff';
import AppHeader from '../AppHeader.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/' }));

let pinia: Pinia;

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
});

async function mountHeader(me: Me, path: string) {
  fakeBff({ 'GET /api/me': json(200, me) });
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  const wrapper = mount(AppHeader, { global: { plugins: [pinia, router] } });
  await flushPromises();
  return wrapper;
}

describe('AppHeader', () => {
  it('when the person has an account, then the navigation links to Account, Sharing and Activity', async () => {
    const wrapper = await mountHeader(meFixture(), '/activity');

    const links = wrapper.findAll('nav[aria-label="Main"] a');
    expect(links.map((a) => [a.text(), a.attributes('href')])).toEqual([
      ['Account', '/account'],
      ['Sharing', '/sharing'],
      ['Activity', '/activity'],
    ]);
    expect(links[2]!.attributes('aria-current')).toBe('page');
  });

  it.each([
    ['the account with the person’s email is not theirs', notOwnerMeFixture('claimable'), '/account'],
    ['the person has no account yet', meFixture({ account: null }), '/register'],
  ])('when %s, then the navigation links to their page and to Activity only', async (_case, me, home) => {
    const wrapper = await mountHeader(me, '/activity');

    const links = wrapper.findAll('nav[aria-label="Main"] a');
    expect(links.map((a) => [a.text(), a.attributes('href')])).toEqual([
      ['Account', home],
      ['Activity', '/activity'],
    ]);
    expect(wrapper.text()).toContain('ada@example.org');
  });

  it('when signed out, then there is no navigation and no sign-out', async () => {
    fakeBff({ 'GET /api/me': apiError(401, 'not_authenticated', 'Sign in first.') });
    const router = createAppRouter(createMemoryHistory());
    await router.push('/');
    const wrapper = mount(AppHeader, { global: { plugins: [pinia, router] } });
    await flushPromises();

    expect(wrapper.find('nav').exists()).toBe(false);
    expect(wrapper.find('button').exists()).toBe(false);
  });
});
