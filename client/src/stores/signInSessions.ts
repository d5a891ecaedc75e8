import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { bff, type ApiError, type SignInSession } from '../api';
import { useAccountStore } from './account';

/**
 * The person's sign-in sessions of this service (`/api/me/sessions`): where they are signed in, newest
 * first, and the actions that sign other browsers out.
 */
export const useSignInSessionsStore = defineStore('signInSessions', () => {
  const account = useAccountStore();
  const sessions = ref<SignInSession[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  let pending: Promise<void> | null = null;

  async function fetchList(): Promise<void> {
    loading.value = true;
    try {
      sessions.value = (await bff.signInSessions()).sessions;
      loaded.value = true;
      error.value = null;
    } catch (e) {
      error.value = await account.reactToFailure(e);
    } finally {
      loading.value = false;
    }
  }

  /** Fetches the list. Never rejects: a failure is `error`. Concurrent calls share one request. */
  function load(): Promise<void> {
    pending ??= fetchList().finally(() => {
      pending = null;
    });
    return pending;
  }

  /**
   * Signs one other browser out. A session that had ended already (`session_not_found`) is as good as
   * ended: it leaves the list without an error. Rejects with any other failure as an {@link ApiError}.
   */
  async function end(id: string): Promise<void> {
    try {
      await bff.endSignInSession(id);
    } catch (e) {
      const failure = await account.reactToFailure(e);
      if (failure.code !== 'session_not_found') throw failure;
    }
    sessions.value = sessions.value.filter((s) => s.id !== id);
  }

  /**
   * Signs every other browser out.
   * @returns how many sessions ended
   */
  async function endOthers(): Promise<number> {
    let ended: number;
    try {
      ended = (await bff.endOtherSignInSessions()).ended;
    } catch (e) {
      throw await account.reactToFailure(e);
    }
    sessions.value = sessions.value.filter((s) => s.current);
    return ended;
  }

  return {
    sessions: computed<readonly SignInSession[]>(() => sessions.value),
    /** The sessions of other browsers: what "Sign out everywhere else" ends. */
    others: computed(() => sessions.value.filter((s) => !s.current)),
    /** True once a load succeeded. */
    loaded: computed(() => loaded.value),
    loading: computed(() => loading.value),
    /** Why the last load failed, or null. */
    error: computed(() => error.value),
    load,
    end,
    endOthers,
  };
});
