import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, bff, type PublicConfig } from '../api';

/** `GET /api/config`: the MLflow URL, policy links and password policy, known before anyone signs in. */
export const useConfigStore = defineStore('config', () => {
  const config = ref<PublicConfig | null>(null);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  let pending: Promise<void> | null = null;

  /** Fetches the configuration; failures end up in `error`, never as a rejection. */
  function load(): Promise<void> {
    pending ??= (async () => {
      loading.value = true;
      error.value = null;
      try {
        config.value = await bff.config();
      } catch (e) {
        error.value = e instanceof ApiError ? e : new ApiError(0, 'unexpected_response', String(e));
      } finally {
        loading.value = false;
        pending = null;
      }
    })();
    return pending;
  }

  return {
    config: computed(() => config.value),
    error: computed(() => error.value),
    loading: computed(() => loading.value),
    load,
  };
});
