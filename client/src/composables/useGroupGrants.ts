import { computed, ref } from 'vue';
import {
  asApiError,
  bff,
  type ApiError,
  type GroupGrant,
  type GroupGrantChange,
  type MyGroups,
  type Permission,
} from '../api';
import { groupError } from '../sharing/groupErrors';
import { useAccountStore } from '../stores/account';
import { useSharingStore } from '../stores/sharing';
import { useGrantRows, type ShareTarget } from './useGrantRows';

/** Answers after which the list of resources no longer says what the person may do: reload it. */
const LIST_OUTDATED = new Set(['forbidden', 'resource_not_found']);

/**
 * The groups with a grant on one resource, and the actions on them, for the "Groups" part of the
 * "Manage access" dialog (docs/api.md, "Sharing with groups"). `available` is false, and nothing is shown,
 * unless `GET /api/me/groups` says groups are enabled and supported (MLflow 3.13+). `load()` never
 * rejects (its failure is `loadError`); the other actions reject with an `ApiError` whose message can be
 * shown (see `groupError`).
 */
export function useGroupGrants(target: () => ShareTarget | null) {
  const account = useAccountStore();
  const sharing = useSharingStore();
  const mine = ref<MyGroups | null>(null);
  const { rows, current, whileOn, shown } = useGrantRows<GroupGrant>(target, {
    /** The person's groups, then (when groups can be shared with) the resource's group grants. */
    fetch: async (t, stale) => {
      const groups = await bff.myGroups();
      if (stale()) return null;
      mine.value = groups;
      if (!groups.enabled || !groups.supported) return null;
      return (await bff.groupGrants(t.type, t.id)).groups;
    },
    failed: async (e, t) => {
      const error = await failure(e, t);
      return error.code === 'not_supported_by_mlflow' ? null : error;
    },
    order: (a, b) => a.group.localeCompare(b.group),
  });

  async function failure(e: unknown, t: ShareTarget, group?: string): Promise<ApiError> {
    const error = asApiError(e);
    if (LIST_OUTDATED.has(error.code)) void sharing.load(t.type);
    if (error.code === 'not_supported_by_mlflow') whileOn(t, () => (mine.value = null));
    return groupError(await account.reactToFailure(error), group);
  }

  /** Gives `group` the permission on the resource, or changes its permission. */
  async function share(group: string, permission: Permission): Promise<GroupGrantChange> {
    const t = current();
    const isNew = !rows.value.some((r) => r.group === group);
    let answer: GroupGrantChange;
    try {
      answer = await bff.setGroupGrant(t.type, t.id, group, permission);
    } catch (e) {
      throw await failure(e, t, group);
    }
    whileOn(t, () => {
      const before = rows.value.find((r) => r.group === answer.group);
      const known = mine.value?.groups.find((g) => g.id === answer.group);
      const row: GroupGrant = before
        ? { ...before, permission: answer.permission }
        : // The sharer joins the group's role at once when they first share: they count as a member.
          { group: answer.group, role: known?.role ?? '', permission: answer.permission, members: 1 };
      rows.value = [...rows.value.filter((r) => r.group !== answer.group), row];
    });
    // A new grant: the sharer joins the group's role at once (their own list may change), and the member
    // count and role come with a reload.
    if (isNew) {
      void sharing.load(t.type);
      void refreshRows(t);
    }
    return answer;
  }

  async function refreshRows(t: ShareTarget): Promise<void> {
    try {
      const list = await bff.groupGrants(t.type, t.id);
      whileOn(t, () => (rows.value = list.groups));
    } catch {
      // The row shown stays; the next opening reloads.
    }
  }

  /** Revokes `group`'s grant on the resource. When there was none any more, the row goes and the error says so. */
  async function remove(group: string): Promise<void> {
    const t = current();
    const drop = () => (rows.value = rows.value.filter((r) => r.group !== group));
    try {
      await bff.removeGroupGrant(t.type, t.id, group);
    } catch (e) {
      const error = await failure(e, t, group);
      if (error.code === 'group_grant_not_found') whileOn(t, drop);
      throw error;
    }
    whileOn(t, drop);
  }

  return {
    /** Whether groups can be shared with here: enabled by the deployment and supported by MLflow. */
    available: computed(() => !!mine.value && mine.value.enabled && mine.value.supported),
    /** The person's own shareable groups: the only ones they may grant. */
    groups: computed(() => mine.value?.groups ?? []),
    /** True when the last sign-in sync of the person's group memberships failed. */
    syncFailed: computed(() => !!mine.value?.sync && mine.value.sync.outcome !== 'ok'),
    /** `rows` sorted by group id. */
    ...shown,
    share,
    remove,
  };
}

/** What {@link useGroupGrants} gives the "Groups" part of the "Manage access" dialog. */
export type GroupGrants = ReturnType<typeof useGroupGrants>;
