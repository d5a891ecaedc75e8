import { computed, ref, type ComputedRef, type Ref } from 'vue';
import { ApiError, type ResourceType, type SharingCapabilities } from '../api';

/** The resource whose access is being managed. */
export interface ShareTarget {
  type: ResourceType;
  id: string;
  /** What to call it (its name). */
  name: string;
  capabilities: SharingCapabilities;
}

const sameTarget = (a: ShareTarget | null, b: ShareTarget | null) => !!a && !!b && a.type === b.type && a.id === b.id;

/** Where the rows of {@link useGrantRows} come from, and how they are shown. */
export interface GrantRowsSource<Row> {
  /** Whether the target's rows can be listed at all; when not, `load()` leaves them empty without asking. */
  listable?: (t: ShareTarget) => boolean;
  /**
   * Fetches the target's rows, or `null` to leave them empty; rejects on failure. `stale()` says whether a
   * newer load has begun meanwhile (then what was fetched is dropped).
   */
  fetch: (t: ShareTarget, stale: () => boolean) => Promise<Row[] | null>;
  /** The error a failed load shows as `loadError`, or null when the failure shows none. */
  failed: (e: unknown, t: ShareTarget) => ApiError | null | Promise<ApiError | null>;
  /** The order the rows are shown in. */
  order: (a: Row, b: Row) => number;
}

/** What a part of the dialog shows of its grants: the rows, read-only, and how loading them went. */
export interface ShownGrants<Row> {
  rows: ComputedRef<Row[]>;
  loading: ComputedRef<boolean>;
  /** Why the last `load()` failed, or null. */
  loadError: ComputedRef<ApiError | null>;
  /** Starts over for the current target; never rejects. */
  load: () => Promise<void>;
}

/**
 * The core of each part of the "Manage access" dialog (people, groups): the grants on the resource it shows,
 * as rows, with a `load()` that starts over for the current target and never rejects (its failure is
 * `loadError`), and for the part's own actions the target they act on and a guard for answers that come
 * once the dialog has moved on to another resource.
 */
export function useGrantRows<Row>(target: () => ShareTarget | null, source: GrantRowsSource<Row>) {
  const rows = ref([]) as Ref<Row[]>;
  const loading = ref(false);
  const loadError = ref<ApiError | null>(null);
  let generation = 0;

  /** The target an action acts on; throws when there is none. */
  function current(): ShareTarget {
    const t = target();
    if (!t) throw new ApiError(0, 'unexpected_response', 'Choose what to share first.');
    return t;
  }

  /** Applies `update` to the rows if the panel still shows `t` (it may have moved on meanwhile). */
  function whileOn(t: ShareTarget, update: () => void): void {
    if (sameTarget(t, target())) update();
  }

  async function load(): Promise<void> {
    const t = target();
    const mine = ++generation;
    const stale = () => mine !== generation;
    rows.value = [];
    loadError.value = null;
    loading.value = false;
    if (!t || (source.listable && !source.listable(t))) return;
    loading.value = true;
    try {
      const list = await source.fetch(t, stale);
      if (list && !stale()) rows.value = list;
    } catch (e) {
      if (stale()) return;
      const error = await source.failed(e, t);
      if (error) loadError.value = error;
    } finally {
      if (!stale()) loading.value = false;
    }
  }

  const shown: ShownGrants<Row> = {
    rows: computed(() => [...rows.value].sort(source.order)),
    loading: computed(() => loading.value),
    loadError: computed(() => loadError.value),
    load,
  };

  return {
    /** The rows, for the part's own actions to change. */
    rows,
    current,
    whileOn,
    /** What the part gives the dialog as it is. */
    shown,
  };
}
