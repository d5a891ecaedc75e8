import { computed, ref } from 'vue';
import type { ApiError } from '../api';
import { useAccountStore } from './account';

/**
 * The loading state of one read a store makes: whether it runs, whether it ever succeeded, and why the last
 * one failed. `load` never rejects: a failure becomes `error`, after the app-wide reaction (an ended
 * session signs in again), and the last data stays. Concurrent calls share one request.
 * @param fetch reads from the server and stores the answer; throws on failure
 */
export function useSharedLoad(fetch: () => Promise<void>) {
  const account = useAccountStore();
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  let pending: Promise<void> | null = null;

  async function run(): Promise<void> {
    loading.value = true;
    try {
      await fetch();
      loaded.value = true;
      error.value = null;
    } catch (e) {
      error.value = await account.reactToFailure(e);
    } finally {
      loading.value = false;
    }
  }

  function load(): Promise<void> {
    pending ??= run().finally(() => {
      pending = null;
    });
    return pending;
  }

  return {
    /** True once a load succeeded. */
    loaded: computed(() => loaded.value),
    loading: computed(() => loading.value),
    /** Why the last load failed, or null. */
    error: computed(() => error.value),
    load,
  };
}
