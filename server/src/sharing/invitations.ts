/**
 * Invitations: sharing with an email that has no MLflow account yet leaves a pending grant, applied with
 * the admin account once that email registers (or claims its account) with a verified address.
 *
 * - Only managers of the resource get here: the sharing service authorises first, so nobody else learns
 *   anything about the email.
 * - An email is invited only when neither MLflow nor the registry knows it, and only when it looks like an
 *   email ({@link isEmailShaped}); any other unknown username stays 404 `user_not_registered`.
 * - One invitation per resource and email; sharing again changes its permission and renews its expiry
 *   (`INVITATION_TTL_DAYS`). Past its expiry it counts as gone at once; the maintenance job deletes it.
 * - Applying is never part of the registration's success: a failure is logged and retried at the owner's
 *   next visit (`GET /api/me`). An invitation that can never apply (the resource is gone, its inviter no
 *   longer manages it, or an administrator set an explicit level for the person) is dropped and recorded
 *   with why.
 */
import { invitationLimit, permissionNotSupported } from '../errors.js';
import { describeForLog } from '../http.js';
import {
  PERMISSIONS,
  RESOURCE_TYPES,
  readAccess,
  type EffectivePermission,
  type Permission,
  type PermissionsApi,
  type ResourceType,
} from '../mlflow/permissions.js';
import { usernameKey, type AccountRegistry } from '../registry/accounts.js';
import { SERVICE_ACTOR } from '../registry/activity.js';
import type { Audit } from '../registry/audit.js';
import type { InvitationRecord, InvitationRegistry } from '../registry/invitations.js';
import type { ResourceLock } from './resource-lock.js';
import type { ResourceNames } from './resource-names.js';
import { directPermission, mayManage } from './rules.js';

const DAY_MS = 86_400_000;

/** The longest address SMTP carries (RFC 5321 §4.5.3.1.3, as corrected by erratum 1690). */
const MAX_EMAIL_LENGTH = 254;
/** Neither part holds whitespace, a control character, `@` or `/`; the domain's labels hold no dot either. */
const LOCAL_PART = String.raw`[^\s\p{Cc}@/]+`;
const DOMAIN_LABEL = String.raw`[^\s\p{Cc}@/.]+`;
const EMAIL_SHAPE = new RegExp(`^${LOCAL_PART}@${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})+$`, 'u');

/**
 * Whether a sharing target looks like an email address: one `@` with something before it, a domain of at
 * least two non-empty dot-separated labels after it, no whitespace, control character or `/`, at most 254
 * characters. Deliberately simple (the provider verifies addresses, not this service); what matters is that
 * it never matches a machine account's username (`<owner>/<label>`) or an arbitrary MLflow username.
 */
export function isEmailShaped(username: string): boolean {
  return username.length <= MAX_EMAIL_LENGTH && EMAIL_SHAPE.test(username);
}

/** A pending grant, as the sharing service sees it. */
export interface Invitation {
  type: ResourceType;
  id: string;
  /** The invited email, lower-cased: the username it will register as. */
  email: string;
  permission: Permission;
  /** The MLflow username of the manager who last set it. */
  invitedBy: string;
  expiresAt: number;
}

/** What was applied at a registration, a claim or a visit: shown to the new user on their first page. */
export interface SharedWithYou {
  type: ResourceType;
  id: string;
  name: string;
  permission: Permission;
  invitedBy: string;
}

/** The account that an identity became (or is) bound to, with what the provider says of its email. */
export interface InvitedOwner {
  /** The MLflow username of the account bound to the identity. */
  username: string;
  /** The email the provider sends now. */
  email: string;
  /** The provider's `email_verified`: invitations are applied only to verified addresses. */
  emailVerified: boolean;
  requestId?: string;
}

interface Logger {
  warn(obj: object, msg?: string): void;
}

export interface InvitationDeps {
  invitations: InvitationRegistry;
  /** The registry's accounts: an email bound to an account is never invited. */
  accounts: Pick<AccountRegistry, 'byUsername'>;
  permissions: () => Promise<PermissionsApi>;
  names: Pick<ResourceNames, 'find'>;
  lock: Pick<ResourceLock, 'run'>;
  audit: Pick<Audit, 'write'>;
  /** `INVITATION_TTL_DAYS`. */
  ttlDays: number;
  /**
   * `INVITATIONS_PER_USER`: live invitations one person may have out at once, so that no one can fill the
   * registry with pending grants; 0 turns invitations off (an unknown email is then `user_not_registered`).
   */
  limit: number;
  /** The registry's clock. */
  now: () => number;
  logger: Logger;
}

const isResourceType = (t: string): t is ResourceType => (RESOURCE_TYPES as readonly string[]).includes(t);
const isPermission = (p: string): p is Permission => (PERMISSIONS as readonly string[]).includes(p);

function invitationOf(row: InvitationRecord): Invitation | null {
  if (!isResourceType(row.resource_type) || !isPermission(row.permission)) return null;
  return {
    type: row.resource_type,
    id: row.resource_id,
    email: row.email_key,
    permission: row.permission,
    invitedBy: row.invited_by,
    expiresAt: row.expires_at,
  };
}

/**
 * Whether a direct grant the person holds already is at least `wanted` (applying would lower it), or a
 * level this service does not grant (`NO_PERMISSIONS` set by an administrator, a deny): left as it is.
 */
function heldStands(held: EffectivePermission, wanted: Permission): 'keep' | 'explicit' | 'raise' {
  if (!isPermission(held)) return 'explicit';
  return PERMISSIONS.indexOf(held) >= PERMISSIONS.indexOf(wanted) ? 'keep' : 'raise';
}

export function createInvitations(deps: InvitationDeps) {
  const { invitations, audit, logger } = deps;
  const keyOf = (type: ResourceType, id: string, email: string) => ({
    resourceType: type,
    resourceId: id,
    emailKey: usernameKey(email),
  });

  /** Deletes an invitation that can never apply, recording why. */
  async function drop(owner: InvitedOwner, row: InvitationRecord, name: string | null, outcome: string) {
    await invitations.remove(row.id);
    await audit.write({
      actor: SERVICE_ACTOR,
      action: 'invite_apply',
      target: { type: row.resource_type, id: row.resource_id, name },
      subject: owner.username,
      permission: row.permission,
      outcome,
      requestId: owner.requestId,
    });
  }

  /** Applies one invitation under its resource's lock; `null` when there was nothing (more) to apply. */
  async function applyOne(owner: InvitedOwner, listed: InvitationRecord): Promise<SharedWithYou | null> {
    // Read again under the lock: a manager may have changed or revoked it meanwhile.
    const row = await invitations.find({
      resourceType: listed.resource_type,
      resourceId: listed.resource_id,
      emailKey: listed.email_key,
    });
    if (!row) return null;
    const invitation = invitationOf(row);
    if (!invitation) {
      await drop(owner, row, null, 'validation_failed');
      return null;
    }
    const { type, id, permission } = invitation;
    const api = await deps.permissions();
    if (!api.supports(permission)) throw permissionNotSupported(permission);
    // The invitee and the inviter as MLflow sees them now, in one call where the API allows.
    const { access } = await readAccess(api, [owner.username, invitation.invitedBy]);
    const [invitee, inviter] = access;
    if (!invitee) throw new Error('the account is not (yet) known to MLflow');
    const resource = await deps.names.find(type, id);
    if (!resource) {
      await drop(owner, row, null, 'resource_not_found');
      return null;
    }
    const name = resource.name;
    if (!inviter || !mayManage(inviter, type, id)) {
      await drop(owner, row, type === 'experiment' ? name : null, 'forbidden');
      return null;
    }
    const held = directPermission(invitee, type, id);
    const verdict = held === null ? 'raise' : heldStands(held, permission);
    if (verdict === 'explicit') {
      await drop(owner, row, type === 'experiment' ? name : null, 'forbidden');
      return null;
    }
    const granted = verdict === 'raise' ? permission : (held as Permission);
    if (verdict === 'raise') await api.setPermission(owner.username, type, id, permission, held);
    await invitations.remove(row.id);
    await audit.write({
      actor: SERVICE_ACTOR,
      action: 'invite_apply',
      target: { type, id, name: type === 'experiment' ? name : null },
      subject: owner.username,
      permission: granted,
      outcome: 'ok',
      requestId: owner.requestId,
    });
    return { type, id, name, permission: granted, invitedBy: invitation.invitedBy };
  }

  return {
    /** Whether sharing with this unknown username may leave an invitation: email-shaped, and no account has it. */
    async invitable(username: string): Promise<boolean> {
      if (deps.limit === 0) return false;
      return isEmailShaped(username.trim()) && !(await deps.accounts.byUsername(username));
    },

    /** The live invitation of `email` to the resource, if any. */
    async find(type: ResourceType, id: string, email: string): Promise<Invitation | null> {
      const row = await invitations.find(keyOf(type, id, email));
      return row ? invitationOf(row) : null;
    },

    /** The live invitations to the resource, by email. */
    async forResource(type: ResourceType, id: string): Promise<Invitation[]> {
      return (await invitations.forResource(type, id)).flatMap((row) => invitationOf(row) ?? []);
    },

    /**
     * Invites `email` (or changes its invitation: new permission, inviter and expiry). The caller has
     * authorised the inviter and holds the resource's lock. A new invitation beyond the inviter's
     * `INVITATIONS_PER_USER` is refused (409 `invitation_limit`); changing one that exists never is. The
     * lock is the resource's, so two new invitations to two resources at the same moment can both pass the
     * count: the limit bounds the registry's growth, it is not an exact quota.
     */
    async put(
      invitedBy: string,
      type: ResourceType,
      id: string,
      email: string,
      permission: Permission,
    ): Promise<{ invitation: Invitation; created: boolean }> {
      const key = keyOf(type, id, email);
      const before = await invitations.find(key);
      if (!before && (await invitations.countBy(invitedBy)) >= deps.limit) throw invitationLimit(deps.limit);
      const row = await invitations.put(key, {
        permission,
        invitedBy,
        expiresAt: deps.now() + deps.ttlDays * DAY_MS,
      });
      return { invitation: invitationOf(row)!, created: !before };
    },

    /** Revokes the invitation; `false` when there was none. The caller holds the resource's lock. */
    async revoke(type: ResourceType, id: string, email: string): Promise<boolean> {
      const row = await invitations.find(keyOf(type, id, email));
      return row ? invitations.remove(row.id) : false;
    },

    /**
     * Applies every live invitation of the owner's verified email to their account, one resource lock at a
     * time. Never throws: what fails stays for the next visit.
     */
    async applyFor(owner: InvitedOwner): Promise<SharedWithYou[]> {
      if (!owner.emailVerified) return [];
      let pending: InvitationRecord[];
      try {
        pending = await invitations.forEmail(usernameKey(owner.email));
      } catch (err) {
        logger.warn({ err: describeForLog(err) }, 'reading the invitations failed; retried next visit');
        return [];
      }
      const applied: SharedWithYou[] = [];
      for (const row of pending) {
        try {
          const done = await deps.lock.run(`${row.resource_type}:${row.resource_id}`, () => applyOne(owner, row));
          if (done) applied.push(done);
        } catch (err) {
          logger.warn(
            { err: describeForLog(err), resourceType: row.resource_type, resourceId: row.resource_id },
            'applying an invitation failed; retried at the next visit',
          );
        }
      }
      return applied;
    },

    /**
     * For the maintenance job: deletes invitations past their expiry and records each (`invite_expire`).
     * Returns how many (in a dry run, how many would be). No MLflow call: the record names the resource by id.
     */
    async expire(options: { dryRun: boolean }): Promise<number> {
      const expired = await invitations.expired();
      if (options.dryRun) return expired.length;
      let count = 0;
      for (const row of expired) {
        if (!(await invitations.remove(row.id))) continue;
        count += 1;
        await audit.write({
          actor: SERVICE_ACTOR,
          action: 'invite_expire',
          target: { type: row.resource_type, id: row.resource_id, name: null },
          subject: row.email_key,
          permission: row.permission,
          outcome: 'ok',
        });
      }
      return count;
    },
  };
}

export type Invitations = ReturnType<typeof createInvitations>;
