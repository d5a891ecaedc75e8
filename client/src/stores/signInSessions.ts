import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { bff, type SignInSession } from '../api';
import { useAccountStore } from './account';
import { useSharedLoad } from './sharedLoad';

/**
 * The person's sign-in sessions of this service (`/api/me/sessions`): where they are signed in, newest
 * first, and the actions that sign other browsers out.
 */
export const useSignInSessionsStore = defineStore('signInSessions', () => {
  const account = useAccountStore();
  const sessions = ref<SignInSession[]>([]);
  const { loaded, loading, error, load } = useSharedLoad(async () => {
    sessions.value = (await bff.signInSessions()).sessions;
  });

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
    loaded,
    loading,
    error,
    load,
    end,
    endOthers,
  };
});
