import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiError, fakeBff, json } from '../../testing/fakeFetch';
import { useConfigStore } from '../config';

beforeEach(() => setActivePinia(createPinia()));

describe('useConfigStore', () => {
  it('when GET /api/config answers, then the configuration is exposed', async () => {
    const config = {
      mlflow_url: 'https://mlflow.example.org',
      privacy_policy_url: null,
      terms_of_use_url: 'https://example.org/terms',
      vault_enabled: true,
      password_policy: { min_length: 12, max_length: 256 },
    };
    fakeBff({ 'GET /api/config': json(200, config) });
    const store = useConfigStore();

    await store.load();

    expect(store.config).toEqual(config);
    expect(store.error).toBeNull();
    expect(store.loading).toBe(false);
  });

  it('when GET /api/config fails, then the error is kept for the page to show and load does not reject', async () => {
    fakeBff({ 'GET /api/config': apiError(503, 'mlflow_unavailable', 'MLflow is down; retry later.') });
    const store = useConfigStore();

    await expect(store.load()).resolves.toBeUndefined();

    expect(store.config).toBeNull();
    expect(store.error?.message).toBe('MLflow is down; retry later.');
  });
});
