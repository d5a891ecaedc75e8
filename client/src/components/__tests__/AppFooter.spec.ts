import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useAccountStore } from '../../stores/account';
import { useConfigStore } from '../../stores/config';
import { configFixture, fakeBff, json, meFixture } from '../../testing/fakeBff';
import AppFooter from '../AppFooter.vue';

let pinia: Pinia;
beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
});

const links = (wrapper: ReturnType<typeof mount>) => wrapper.findAll('a').map((a) => [a.text(), a.attributes('href')]);

describe('AppFooter', () => {
  it('when the configuration is not loaded yet, then no links are shown, even for someone signed in', async () => {
    fakeBff({ 'GET /api/me': json(200, meFixture()) });
    await useAccountStore().load();

    expect(
      mount(AppFooter, { global: { plugins: [pinia] } })
        .find('ul')
        .exists(),
    ).toBe(false);
  });

  it('when the configuration is loaded, then its links are shown, and only the policies it names', async () => {
    fakeBff({ 'GET /api/config': json(200, configFixture({ privacy_policy_url: 'https://example.org/privacy' })) });
    const wrapper = mount(AppFooter, { global: { plugins: [pinia] } });

    await useConfigStore().load();
    await flushPromises();

    expect(links(wrapper)).toEqual([
      ['MLflow', 'https://mlflow.example.org'],
      ['Privacy policy', 'https://example.org/privacy'],
    ]);
  });
});
