import { computed, onScopeDispose, ref, watch } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { serverNow, signInAgain } from '../api';
import { currentPath } from '../api/navigation';
import { RECENT_SIGN_IN_MARGIN_MS, signInIsRecent, useAccountStore } from '../stores/account';

/**
 * Step-up: changing the password and deleting the account need a recent sign-in at the provider
 * (`GET /api/me`'s `reauthentication`). When the sign-in is not recent, the form says so before the
 * person types anything and offers "Sign in again": a full-page trip through the provider
 * (`auth/login?reauth=1`) that comes back to the same page with `?resume=<action>`, where the form opens
 * again with what the person had typed, minus secrets.
 */

/**
 * The actions that need a recent sign-in; also the values of the `resume` query parameter.
 * `machine-accounts`: creating one, or a new password for one, or deleting one.
 */
export type StepUpAction = 'change-password' | 'delete-account' | 'machine-accounts';

const ACTIONS: readonly string[] = ['change-password', 'delete-account', 'machine-accounts'] satisfies StepUpAction[];

/** The query parameter that names the action to finish after the step-up. */
const RESUME_PARAM = 'resume';

export function isStepUpAction(value: unknown): value is StepUpAction {
  return typeof value === 'string' && ACTIONS.includes(value);
}

/**
 * What a form keeps across the trip to the provider: non-secret input only (the delete dialog's typed
 * email address). Passwords are never stored.
 */
export type StepUpDraft = Readonly<Record<string, string>>;

const DRAFT_KEY_PREFIX = 'mlflow-account:step-up:';

/** Keeps `draft` for `action` in sessionStorage (this tab only), or forgets the last one when null. */
export function saveDraft(action: StepUpAction, draft: StepUpDraft | null): void {
  try {
    if (draft && Object.keys(draft).length > 0)
      sessionStorage.setItem(DRAFT_KEY_PREFIX + action, JSON.stringify(draft));
    else sessionStorage.removeItem(DRAFT_KEY_PREFIX + action);
  } catch {
    // Storage refused (private mode, quota): the person types it again.
  }
}

/** The draft kept for `action`, removed from storage as it is read; null when there is none. */
export function takeDraft(action: StepUpAction): StepUpDraft | null {
  try {
    const raw = sessionStorage.getItem(DRAFT_KEY_PREFIX + action);
    sessionStorage.removeItem(DRAFT_KEY_PREFIX + action);
    if (raw === null) return null;
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  } catch {
    return null;
  }
}

/**
 * Where the provider sends the person back to: the page they are on (full path, base path included),
 * with `resume=<action>` added to its query and without a fragment.
 * @param from the current full path, e.g. `/signup/account`
 */
export function resumePath(action: StepUpAction, from: string = currentPath()): string {
  const url = new URL(from, 'http://app.invalid');
  url.searchParams.set(RESUME_PARAM, action);
  return `${url.pathname}${url.search}`;
}

/** The longest delay `setTimeout` keeps (about 24.8 days); longer waits are split. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Whether the sign-in is too old for a sensitive action, kept up to date by the clock: it turns true by
 * itself once `recent_until` is less than 30 s away ({@link RECENT_SIGN_IN_MARGIN_MS}). Always false
 * while step-up is off (`reauthentication: null`). Times are compared on the BFF's clock.
 */
export function useRecentSignIn() {
  const account = useAccountStore();
  const now = ref(serverNow());
  const recent = computed(() => signInIsRecent(account.reauthentication, now.value));
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** Wakes up when the sign-in stops counting as recent, so that `recent` changes on time. */
  function schedule(): void {
    clearTimeout(timer);
    timer = undefined;
    now.value = serverNow();
    const until = account.reauthentication?.recent_until;
    if (!recent.value || !until) return;
    const wait = Date.parse(until) - RECENT_SIGN_IN_MARGIN_MS - now.value;
    timer = setTimeout(schedule, Math.min(Math.max(wait, 0), MAX_TIMEOUT_MS));
  }

  watch(() => account.reauthentication, schedule, { immediate: true });
  onScopeDispose(() => clearTimeout(timer));

  return {
    /** True when the person must sign in again before the action. */
    required: computed(() => !recent.value),
  };
}

/** One form's step-up: whether it is needed, the trip to the provider, and what was kept for the return. */
export function useStepUp(action: StepUpAction) {
  const { required } = useRecentSignIn();
  return {
    required,
    /**
     * Keeps `draft` (non-secret input only) and sends the whole page through the provider, back to this
     * page with `?resume=<action>`.
     */
    signInAgain(draft: StepUpDraft | null = null): void {
      saveDraft(action, draft);
      signInAgain(resumePath(action));
    },
    /** What was kept before the trip, forgotten as it is read. */
    takeDraft: () => takeDraft(action),
  };
}

/**
 * The action this page load comes back to finish (`?resume=<action>` in the address), read once when the
 * page is set up. `forget()` then removes the parameter from the address (`router.replace`), so that a
 * reload or a shared link does not reopen the form.
 */
export function useResumedStepUp() {
  const route = useRoute();
  const router = useRouter();
  const value = route.query[RESUME_PARAM];
  const action: StepUpAction | null = isStepUpAction(value) ? value : null;

  async function forget(): Promise<void> {
    if (!(RESUME_PARAM in route.query)) return;
    const query = { ...route.query };
    delete query[RESUME_PARAM];
    await router.replace({ query, hash: route.hash });
  }

  return { action, forget };
}
