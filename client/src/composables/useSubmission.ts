import { ref } from 'vue';
import { asApiError, type ApiError } from '../api';

/**
 * The state of one action a person starts (a form submit, a button): in progress, then a success message or
 * the server's error. Every page action goes through this, so none can fail silently.
 */
export function useSubmission() {
  const pending = ref(false);
  const error = ref<ApiError | null>(null);
  const success = ref<string | null>(null);

  /**
   * Runs `action` unless one is already running. `successMessage` may be a function, to describe the state
   * the action left behind.
   * @returns true when it succeeded
   */
  async function run(
    action: () => Promise<void>,
    successMessage: string | (() => string) | null = null,
  ): Promise<boolean> {
    if (pending.value) return false;
    pending.value = true;
    error.value = null;
    success.value = null;
    try {
      await action();
      success.value = typeof successMessage === 'function' ? successMessage() : successMessage;
      return true;
    } catch (e) {
      error.value = asApiError(e);
      return false;
    } finally {
      pending.value = false;
    }
  }

  /** Forgets the last outcome, e.g. when the person starts editing again. */
  function reset(): void {
    error.value = null;
    success.value = null;
  }

  return { pending, error, success, run, reset };
}
