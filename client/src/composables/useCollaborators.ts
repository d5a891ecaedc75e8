import { computed, ref } from 'vue';
import { asApiError, type CollaboratorLookup, type EffectivePermission, type Grant, type Permission } from '../api';
import { useSharingStore } from '../stores/sharing';
import { useGrantRows, type ShareTarget } from './useGrantRows';

export type { ShareTarget } from './useGrantRows';

/**
 * One grant someone holds on the resource, or one waiting for an email without an account (`invitation`).
 * Direct grants and invitations can be changed or removed here; grants through roles cannot.
 */
export interface AccessRow {
  username: string;
  permission: EffectivePermission;
  via: 'direct' | 'role' | 'invitation';
  role: string | null;
  /** Until when an invitation waits (an ISO timestamp); invitations only. */
  expires_at?: string;
}

const VIA_ORDER: Record<AccessRow['via'], number> = { direct: 0, role: 1, invitation: 2 };

/**
 * How people are shown:
 * - `list`: everyone with a grant (MLflow 3.13+);
 * - `lookup`: MLflow before 3.13 cannot list them, so people are looked up one by one by email; the rows
 *   are then the people looked up or changed since the panel opened.
 */
export type CollaboratorMode = 'list' | 'lookup';

/** People first, by name, each one's direct grant before those through roles; then the invited emails. */
function byPerson(a: AccessRow, b: AccessRow): number {
  return (
    Number(a.via === 'invitation') - Number(b.via === 'invitation') ||
    a.username.localeCompare(b.username) ||
    VIA_ORDER[a.via] - VIA_ORDER[b.via] ||
    (a.role ?? '').localeCompare(b.role ?? '')
  );
}

/**
 * Who may use one resource, and the actions on it, for the "Manage access" panel. `load()` never rejects
 * (its failure is `loadError`); the other actions reject with an `ApiError` whose message can be shown.
 * A 501 `not_supported_by_mlflow` from the list switches to `lookup` mode, like
 * `capabilities.can_list_collaborators: false` does up front.
 */
export function useCollaborators(target: () => ShareTarget | null) {
  const sharing = useSharingStore();
  const mode = ref<CollaboratorMode>('list');
  const { rows, current, whileOn, shown } = useGrantRows<AccessRow>(target, {
    listable: (t) => {
      mode.value = t.capabilities.can_list_collaborators ? 'list' : 'lookup';
      return mode.value === 'list';
    },
    fetch: async (t) =>
      (await sharing.collaborators(t.type, t.id)).map(({ username, permission, via, role, expires_at }) =>
        via === 'invitation' ? { username, permission, via, role, expires_at } : { username, permission, via, role },
      ),
    failed: (e) => {
      const error = asApiError(e);
      if (error.code !== 'not_supported_by_mlflow') return error;
      mode.value = 'lookup';
      return null;
    },
    order: byPerson,
  });

  /** Whether a row is the person's own to change: a direct grant, or an invitation. */
  const changeable = (r: AccessRow, username: string) => r.username === username && r.via !== 'role';

  /**
   * The person's direct grant, or with `expiresAt` their invitation, replacing either (a direct grant
   * supersedes an invitation).
   */
  function putDirect(username: string, permission: Permission, expiresAt?: string): void {
    const others = rows.value.filter((r) => !changeable(r, username));
    const row: AccessRow =
      expiresAt === undefined
        ? { username, permission, via: 'direct', role: null }
        : { username, permission, via: 'invitation', role: null, expires_at: expiresAt };
    rows.value = [...others, row];
  }

  function dropDirect(username: string): void {
    rows.value = rows.value.filter((r) => !changeable(r, username));
  }

  /**
   * One person's permission on the resource; in `lookup` mode their direct grant (or, for an email without
   * an account, its invitation) joins the rows.
   */
  async function lookup(username: string): Promise<CollaboratorLookup> {
    const t = current();
    const found = await sharing.lookup(t.type, t.id, username);
    whileOn(t, () => {
      if (mode.value !== 'lookup') return;
      if (found.permission) putDirect(found.username, found.permission);
      else if (found.pending) putDirect(found.username, found.pending.permission, found.pending.expires_at);
      else dropDirect(found.username);
    });
    return found;
  }

  /**
   * Gives `username` the permission, or changes theirs. An email without an account is invited instead
   * (`grant.pending`), and shows as an invitation.
   */
  async function share(username: string, permission: Permission): Promise<Grant> {
    const t = current();
    const grant = await sharing.share(t.type, t.id, username, permission);
    whileOn(t, () => putDirect(grant.username, grant.permission, grant.pending ? (grant.expires_at ?? '') : undefined));
    return grant;
  }

  /**
   * Removes `username`'s direct grant, or revokes their invitation. When there was none any more, the row
   * goes and the error says so.
   */
  async function remove(username: string): Promise<void> {
    const t = current();
    try {
      await sharing.unshare(t.type, t.id, username);
    } catch (e) {
      // Nothing to remove any more: no grant, or an invitation that was revoked or has expired meanwhile.
      const gone = new Set(['grant_not_found', 'user_not_registered']);
      if (gone.has(asApiError(e).code)) whileOn(t, () => dropDirect(username));
      throw e;
    }
    whileOn(t, () => dropDirect(username));
  }

  return {
    mode: computed(() => mode.value),
    /** `rows` sorted by person, each person's direct grant before those through roles. */
    ...shown,
    lookup,
    share,
    remove,
  };
}

/** What {@link useCollaborators} gives the "Manage access" dialog's parts. */
export type Collaborators = ReturnType<typeof useCollaborators>;
