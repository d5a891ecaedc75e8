import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { asApiError, bff, type ApiError, type PasswordPolicy, type PublicConfig } from '../api';

/** Where the footer and the pages send people: MLflow itself and the deployment's policy pages. */
export interface ServiceLinks {
  mlflow: string;
  privacy_policy: string | null;
  terms_of_use: string | null;
}

/**
 * `GET /api/config`: the MLflow URL, policy links and password policy, known before anyone signs in. The
 * only source of these in the app (`GET /api/me` does not repeat them), so that pages never have two
 * answers to reconcile.
 */
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
        error.value = asApiError(e);
      } finally {
        loading.value = false;
        pending = null;
      }
    })();
    return pending;
  }

  return {
    config: computed(() => config.value),
    /** Null until the configuration is loaded. */
    passwordPolicy: computed<PasswordPolicy | null>(() => config.value?.password_policy ?? null),
    /** Null until the configuration is loaded. */
    links: computed<ServiceLinks | null>(() => {
      const c = config.value;
      return c
        ? { mlflow: c.mlflow_url, privacy_policy: c.privacy_policy_url, terms_of_use: c.terms_of_use_url }
        : null;
    }),
    error: computed(() => error.value),
    loading: computed(() => loading.value),
    load,
  };
});
