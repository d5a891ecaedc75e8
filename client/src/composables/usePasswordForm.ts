import { computed, ref } from 'vue';
import { allMet, type Requirement } from '../password/requirements';
import { useConfigStore } from '../stores/config';
import { useSubmission } from './useSubmission';

/** What the form needs of `NewPasswordFields` (what that component exposes). */
export interface PasswordFieldsHandle {
  readonly requirements: readonly Requirement[];
  /** Moves focus to the first field that needs attention. */
  focus(): void;
}

/** Codes of answers about the password itself, with or without a `fields` entry naming it. */
const PASSWORD_CODES: ReadonlySet<string> = new Set(['weak_password', 'password_invalid_characters']);

/** What {@link usePasswordForm}'s `submit` needs besides the action. */
export interface PasswordSubmitOptions {
  /** Announced once the action succeeded; a function to describe the state it left behind. */
  success?: string | (() => string) | null;
  /**
   * The form's other fields, checked once the password meets every requirement: returns false (after
   * moving focus to the field to fix) to stop the submit.
   */
  check?: () => boolean;
}

/**
 * A form that sets a new password (creating the account, changing its password): the two fields, the policy
 * they are checked against, and the submit that refuses to send a password the person can already see is
 * wrong. Both pages behave alike because they share this: unmet requirements are flagged only after a
 * first submit, focus goes where the problem is, and the server's verdict on the password lands next to
 * the field.
 *
 * Bind `fields` as the template ref of the page's `NewPasswordFields`.
 */
export function usePasswordForm() {
  const config = useConfigStore();
  const password = ref('');
  const confirmation = ref('');
  /** Set by a submit; unmet requirements are then shown as errors. */
  const attempted = ref(false);
  const fields = ref<PasswordFieldsHandle | null>(null);
  const submission = useSubmission();

  /** The server's message about the password field (a 422 `fields` entry). */
  const serverError = computed(() => submission.error.value?.fieldMessage('password'));
  /** Every requirement shown is met, so the password may be sent. */
  const ready = computed(() => (fields.value ? allMet(fields.value.requirements) : false));

  function aboutPassword(): boolean {
    const error = submission.error.value;
    return !!error && (serverError.value !== undefined || PASSWORD_CODES.has(error.code));
  }

  /**
   * Runs `action` with the password once every requirement is met and `options.check` agrees; otherwise
   * flags what is missing and moves focus there. When the server refuses the password itself (a `fields`
   * entry, `weak_password`, `password_invalid_characters`), focus goes back to the password field.
   * @returns true when the action succeeded
   */
  async function submit(
    action: (password: string) => Promise<void>,
    options: PasswordSubmitOptions = {},
  ): Promise<boolean> {
    attempted.value = true;
    submission.reset();
    if (!ready.value) {
      fields.value?.focus();
      return false;
    }
    if (options.check && !options.check()) return false;
    const ok = await submission.run(() => action(password.value), options.success ?? null);
    if (!ok && aboutPassword()) fields.value?.focus();
    return ok;
  }

  /** Empties both fields and forgets the attempt, e.g. after the password was changed. */
  function clear(): void {
    password.value = '';
    confirmation.value = '';
    attempted.value = false;
  }

  return {
    /** From `GET /api/config`; null until it is loaded. */
    policy: computed(() => config.passwordPolicy),
    password,
    confirmation,
    attempted,
    fields,
    ready,
    serverError,
    pending: submission.pending,
    error: submission.error,
    success: submission.success,
    submit,
    clear,
  };
}
