import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useConfigStore } from '../../stores/config';
import { apiError, configFixture, fakeBff, json } from '../../testing/fakeBff';
import ConfigStatus from '../ConfigStatus.vue';

let pinia: Pinia;
beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
});

describe('ConfigStatus', () => {
  it('while the configuration loads, then a spinner says so', () => {
    expect(mount(ConfigStatus, { global: { plugins: [pinia] } }).text()).toBe('Loading…');
  });

  it('when the configuration could not be loaded, then the server’s words are an alert whose Try again loads it', async () => {
    const bff = fakeBff({ 'GET /api/config': apiError(503, 'mlflow_unavailable', 'MLflow is down; retry later.') });
    const config = useConfigStore();
    await config.load();
    const wrapper = mount(ConfigStatus, { global: { plugins: [pinia] } });

    const alert = wrapper.find('[role="alert"]');
    expect(alert.text()).toContain('Part of this page could not be loaded');
    expect(alert.text()).toContain('MLflow is down; retry later.');

    bff.on('GET /api/config', json(200, configFixture()));
    await wrapper.find('button').trigger('click');
    await flushPromises();

    expect(bff.callsTo('GET /api/config')).toHaveLength(2);
    expect(config.passwordPolicy).toEqual({ min_length: 12, max_length: 256 });
  });
});
