import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import {
  asApiError,
  bff,
  setCsrfToken,
  signIn,
  type ApiError,
  type Me,
  type Ownership,
  type Reauthentication,
  type Registration,
  type SharedWithYou,
  type VaultStatus,
} from '../api';
import { currentPath, navigateTo } from '../api/navigation';

/**
 * Where the signed-in person stands, which decides the pages they may see:
 * - `signed_out`: no session (`GET /api/me` answered 401);
 * - `unavailable`: the BFF could not tell (network failure, 5xx), see `loadError`;
 * - `ineligible`: signed in but may not register;
 * - `unregistered`: eligible, and no MLflow account has their email yet (`ownership.status` `none`);
 * - `not_owner`: eligible, and an MLflow account with their email exists but is not bound to their sign-in:
 *   they may claim it (`claimable`), it is another sign-in's, or it is an administrator account;
 * - `registered`: has an MLflow account bound to their sign-in (`owned`).
 */
export type Phase =
  'unknown' | 'signed_out' | 'unavailable' | 'ineligible' | 'unregistered' | 'not_owner' | 'registered';

const SIGNED_IN: ReadonlySet<Phase> = new Set(['ineligible', 'unregistered', 'not_owner', 'registered']);

/** Whether the BFF knows who the person is (whatever they may do). */
export function isSignedIn(phase: Phase): boolean {
  return SIGNED_IN.has(phase);
}

/** Ownership statuses of an account with the person's email that is not (yet) theirs. */
const NOT_OWNER: ReadonlySet<string> = new Set(['claimable', 'owned_by_other_identity', 'protected']);

function phaseOf(me: Me): Phase {
  if (!me.user.eligible || me.user.ineligible) return 'ineligible';
  // `?.`: a BFF from before ownership sends none; its `account` alone then decides, as it did.
  if (NOT_OWNER.has(me.ownership?.status)) return 'not_owner';
  return me.account ? 'registered' : 'unregistered';
}

/** `ownership` once the person's own account is `account`: after registering or claiming it. */
function ownedBy(account: Registration['account']): Ownership {
  return { status: 'owned', username: account.username, email_changed: false, message: null };
}

/** Error codes after which the session's state on the BFF is no longer what `me` says. */
const STATE_CHANGED = new Set([
  'already_registered',
  'not_registered',
  'not_claimable',
  'account_owned_by_other_identity',
  'not_eligible',
  'email_missing',
  'email_not_verified',
  'vault_out_of_sync',
  'csrf',
]);

/**
 * A sign-in that stops counting as recent within this long is treated as not recent already: the person
 * would otherwise type a new password only to be sent to sign in again.
 */
export const RECENT_SIGN_IN_MARGIN_MS = 30_000;

/**
 * Whether the current sign-in is recent enough for changing the password or deleting the account at
 * `now` (milliseconds since the epoch, on the BFF's clock). Always true when step-up is off
 * (`reauthentication: null`); false when `recent_until` is null, unreadable or less than
 * {@link RECENT_SIGN_IN_MARGIN_MS} away.
 */
export function signInIsRecent(reauthentication: Reauthentication | null, now: number): boolean {
  if (!reauthentication) return true;
  const until = reauthentication.recent_until === null ? Number.NaN : Date.parse(reauthentication.recent_until);
  return Number.isFinite(until) && until - now > RECENT_SIGN_IN_MARGIN_MS;
}

/** The signed-in person and their MLflow account: `GET /api/me` and everything that changes it. */
export const useAccountStore = defineStore('account', () => {
  const me = ref<Me | null>(null);
  const signedOut = ref(false);
  const loadError = ref<ApiError | null>(null);
  let pendingLoad: Promise<void> | null = null;
  /**
   * What was shared with the person before they had an account, applied when they registered or claimed it
   * (or at a later visit): the BFF says so once, in the answer that applied it, so it is kept for this visit.
   */
  const sharedWithYou = ref<SharedWithYou[]>([]);

  function noteShared(applied: SharedWithYou[] | undefined): void {
    const fresh = (applied ?? []).filter(
      (a) => !sharedWithYou.value.some((known) => known.type === a.type && known.id === a.id),
    );
    if (fresh.length > 0) sharedWithYou.value = [...sharedWithYou.value, ...fresh];
  }

  const phase = computed<Phase>(() => {
    if (me.value) return phaseOf(me.value);
    if (signedOut.value) return 'signed_out';
    if (loadError.value) return 'unavailable';
    return 'unknown';
  });

  function remember(next: Me | null): void {
    me.value = next;
    setCsrfToken(next?.csrf_token ?? null);
    noteShared(next?.shared_with_you);
  }

  async function fetchMe(): Promise<void> {
    try {
      remember(await bff.me());
      signedOut.value = false;
      loadError.value = null;
    } catch (e) {
      const error = asApiError(e);
      if (error.needsSignIn && me.value) {
        // The session ended while the app was in use: sign in again and come back here.
        signIn(currentPath());
      } else if (error.needsSignIn) {
        remember(null);
        signedOut.value = true;
        loadError.value = null;
      } else {
        loadError.value = error;
      }
    }
  }

  /**
   * Asks the BFF who is signed in. Never rejects: a first 401 means `signed_out` (a 401 after a successful
   * load means the session ended, and sends the person to sign in again); other failures keep the last
   * known state and set `loadError`. Concurrent calls share one request.
   */
  function load(): Promise<void> {
    pendingLoad ??= fetchMe().finally(() => {
      pendingLoad = null;
    });
    return pendingLoad;
  }

  /** Loads unless the state is already known; retries after a failed load. For the router guard. */
  function ensureLoaded(): Promise<void> {
    return phase.value === 'unknown' || phase.value === 'unavailable' ? load() : Promise.resolve();
  }

  /**
   * The BFF refused an action for want of a recent sign-in: from now on the sign-in counts as not recent,
   * without asking `GET /api/me` again. When step-up was off at the last load, the BFF's configuration
   * changed since: load `me` again instead.
   */
  async function forgetRecentSignIn(): Promise<void> {
    const current = me.value;
    if (current?.reauthentication) {
      me.value = { ...current, reauthentication: { ...current.reauthentication, recent_until: null } };
    } else {
      await load();
    }
  }

  /**
   * The reaction the whole app owes to a failed action, so that no page has to remember it: an ended
   * session sends the person to sign in again and come back here; an answer that shows the server's state
   * differs from ours (e.g. `already_registered`, `vault_out_of_sync`) reloads `me`; a refusal for want of
   * a recent sign-in (`reauthentication_required`) marks the sign-in as not recent, so that the page offers
   * the step-up. Public as `reactToFailure`, for the other stores' actions (sharing).
   * @returns the failure as an {@link ApiError}, for the caller to show or rethrow
   */
  async function react(e: unknown): Promise<ApiError> {
    const error = asApiError(e);
    if (error.needsSignIn) {
      signIn(currentPath());
    } else if (error.code === 'reauthentication_required') {
      await forgetRecentSignIn();
    } else if (STATE_CHANGED.has(error.code)) {
      await load();
    }
    return error;
  }

  /** {@link react}s, then rejects with the error so that the page can show its message. */
  async function fail(e: unknown): Promise<never> {
    throw await react(e);
  }

  /** Creates the MLflow account with the chosen password (`POST /api/me`). */
  async function register(password: string): Promise<void> {
    try {
      own(await bff.register(password));
    } catch (e) {
      return fail(e);
    }
  }

  /** The account is now bound to the person: the answer of registering or claiming it. */
  function own(answer: Registration): void {
    noteShared(answer.shared_with_you);
    if (me.value) {
      me.value = { ...me.value, ownership: ownedBy(answer.account), account: answer.account, vault: answer.vault };
    }
  }

  /**
   * Takes over the unowned account with the person's email by proving its current MLflow password
   * (`POST /api/me/claim`); with Vault, the BFF stores that password there too. A refused password
   * (`claim_password_incorrect`, `too_many_attempts`) changes nothing here; `not_claimable` and
   * `account_owned_by_other_identity` mean someone else moved first, and reload `me`.
   */
  async function claim(password: string): Promise<void> {
    try {
      own(await bff.claim(password));
    } catch (e) {
      return fail(e);
    }
  }

  /**
   * Sets a new MLflow password (`PUT /api/me/password`), then refreshes the Vault status.
   * @param options.endOtherSessions also signs the person out of their other browsers
   */
  async function changePassword(password: string, options: { endOtherSessions?: boolean } = {}): Promise<void> {
    try {
      await bff.changePassword(password, options);
    } catch (e) {
      return fail(e);
    }
    await load();
  }

  /** Deletes the MLflow account and its Vault copy (`DELETE /api/me`). */
  async function deleteAccount(): Promise<void> {
    try {
      await bff.deleteAccount();
    } catch (e) {
      return fail(e);
    }
    sharedWithYou.value = [];
    if (me.value) {
      const ownership: Ownership = { ...me.value.ownership, status: 'none', email_changed: false, message: null };
      me.value = { ...me.value, ownership, account: null };
    }
    await load();
  }

  /** Ends the session at the BFF and leaves for wherever it says (usually the provider's sign-out page). */
  async function signOut(): Promise<void> {
    let target: string;
    try {
      target = (await bff.logout()).redirect_to;
    } catch (e) {
      const error = asApiError(e);
      // The session had already ended: nothing is left to end, so go back to the start page.
      if (!error.needsSignIn) throw error;
      target = document.baseURI;
    }
    // The state is left as it is: the page is about to be replaced.
    navigateTo(target);
  }

  return {
    phase,
    loadError: computed(() => loadError.value),
    user: computed(() => me.value?.user ?? null),
    /** Whose the MLflow account with the person's email is; null until `GET /api/me` answered. */
    ownership: computed(() => me.value?.ownership ?? null),
    account: computed(() => me.value?.account ?? null),
    /** `disabled` also when the BFF tells nothing about Vault (`vault: null`). */
    vaultStatus: computed<VaultStatus>(() => me.value?.vault?.status ?? 'disabled'),
    /**
     * Whether changing the password or deleting the account needs a recent sign-in, and until when the
     * current one counts (`null`: step-up is off). Compare with the clock through {@link signInIsRecent}
     * (`composables/useStepUp.ts` keeps that comparison up to date).
     */
    reauthentication: computed(() => me.value?.reauthentication ?? null),
    load,
    ensureLoaded,
    register,
    claim,
    changePassword,
    deleteAccount,
    signOut,
    reactToFailure: react,
    /** Invitations applied to the account during this visit (registration, claim or a later `GET /api/me`). */
    sharedWithYou: computed(() => sharedWithYou.value),
  };
});
