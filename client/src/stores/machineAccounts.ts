import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { bff, serverNow, type MachineAccount, type MachineAccountPassword, type NewMachineAccount } from '../api';
import { useAccountStore } from './account';
import { useSharedLoad } from './sharedLoad';

/** Answers after which the list no longer says what the server has: load it again. */
const LIST_OUTDATED = new Set(['machine_account_not_found', 'machine_account_limit', 'machine_accounts_disabled']);

/**
 * The person's machine accounts (`/api/me/machine-accounts`): the account page lists and changes them, the
 * sharing page offers them as collaborators. Passwords are handed to the caller once and never kept here.
 */
export const useMachineAccountsStore = defineStore('machineAccounts', () => {
  const account = useAccountStore();
  const list = ref<MachineAccount[]>([]);
  const limit = ref<number | null>(null);
  const { loaded, loading, error, load } = useSharedLoad(async () => {
    const answer = await bff.machineAccounts();
    list.value = answer.machine_accounts;
    limit.value = answer.limit;
  });

  /** Loads once; for pages that only need the list to be there (the sharing page's suggestions). */
  function ensureLoaded(): Promise<void> {
    return loaded.value ? Promise.resolve() : load();
  }

  /** The app-wide reaction to a failed change, plus a fresh list when the answer shows ours is stale. */
  async function fail(e: unknown): Promise<never> {
    const failure = await account.reactToFailure(e);
    if (LIST_OUTDATED.has(failure.code)) void load();
    throw failure;
  }

  function replace(label: string, change: Partial<MachineAccount>): void {
    list.value = list.value.map((a) => (a.label === label ? { ...a, ...change } : a));
  }

  /** Makes a machine account; the answer holds its password, to be shown once. */
  async function create(label: string): Promise<NewMachineAccount> {
    try {
      const made = await bff.createMachineAccount(label);
      const { username, created_at, rotated_at, disabled } = made;
      list.value = [...list.value, { username, label: made.label, created_at, rotated_at, disabled }];
      return made;
    } catch (e) {
      return fail(e);
    }
  }

  /** A new password for a machine account (the old one stops working); it works again if disabled. */
  async function rotate(label: string): Promise<MachineAccountPassword> {
    try {
      const answer = await bff.rotateMachineAccount(label);
      replace(label, { rotated_at: new Date(serverNow()).toISOString(), disabled: false });
      return answer;
    } catch (e) {
      return fail(e);
    }
  }

  async function remove(label: string): Promise<void> {
    try {
      await bff.deleteMachineAccount(label);
    } catch (e) {
      return fail(e);
    }
    list.value = list.value.filter((a) => a.label !== label);
  }

  return {
    list: computed(() => list.value),
    /** How many the person may own (0: the feature is off); null until loaded. */
    limit: computed(() => limit.value),
    loaded,
    loading,
    error,
    /** The MLflow usernames, for the sharing page's suggestions. */
    usernames: computed(() => list.value.map((a) => a.username)),
    load,
    ensureLoaded,
    create,
    rotate,
    remove,
  };
});
