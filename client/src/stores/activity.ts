import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { bff, type ActivityEntry } from '../api';
import { useAccountStore } from './account';
import { useSharedLoad } from './sharedLoad';

/** Entries per request: a screenful or two, and one request for most people's whole history. */
const ACTIVITY_PAGE_SIZE = 50;

/**
 * The person's activity (`GET /api/me/activity`), newest first: the newest page, then older pages one at a
 * time as the person asks for them (`next_before`).
 */
export const useActivityStore = defineStore('activity', () => {
  const account = useAccountStore();
  const entries = ref<ActivityEntry[]>([]);
  const nextBefore = ref<string | null>(null);
  /** Counts replaced lists, so that an older page asked for before one is not appended to the new list. */
  let generation = 0;
  /** The newest page, replacing the list (the page loads it on every visit: entries keep coming). */
  const { loaded, loading, error, load } = useSharedLoad(async () => {
    const page = await bff.activity({ limit: ACTIVITY_PAGE_SIZE });
    generation += 1;
    entries.value = page.entries;
    nextBefore.value = page.next_before;
  });

  /**
   * Fetches the page older than the last entry shown and appends it. Rejects with the failure as an
   * {@link ApiError} (after the app-wide reaction: an ended session signs in again).
   * @returns the entries added, oldest last; none when there is no older page
   */
  async function loadOlder(): Promise<ActivityEntry[]> {
    const before = nextBefore.value;
    if (before === null) return [];
    const started = generation;
    let page;
    try {
      page = await bff.activity({ limit: ACTIVITY_PAGE_SIZE, before });
    } catch (e) {
      throw await account.reactToFailure(e);
    }
    if (started !== generation) return [];
    const shown = new Set(entries.value.map((entry) => entry.id));
    const added = page.entries.filter((entry) => !shown.has(entry.id));
    entries.value = [...entries.value, ...added];
    nextBefore.value = page.next_before;
    return added;
  }

  return {
    entries: computed<readonly ActivityEntry[]>(() => entries.value),
    /** Whether there are older entries to ask for. */
    hasOlder: computed(() => nextBefore.value !== null),
    /** True once a load succeeded. */
    loaded,
    /** True while the newest page is being fetched (the last list stays meanwhile). */
    loading,
    /** Why the last load of the newest page failed, or null. */
    error,
    load,
    loadOlder,
  };
});
