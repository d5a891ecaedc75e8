/**
 * The words the activity page uses for an entry of `GET /api/me/activity`: who did it, and what happened in
 * a sentence. Pure functions, so that the page and its tests say the same thing.
 */
import { own, type ActivityEntry } from '../api';
import { PERMISSION_TEXT, TYPE_TEXT } from '../sharing/labels';
import { groupLabel } from '../format/groups';

/** Who did it: "You", "This service" (deprovisioning, operator commands), or the other person's email. */
export function actorLabel(actor: ActivityEntry['actor']): string {
  if (actor.you) return 'You';
  if (actor.service) return 'This service';
  return actor.email ?? 'Someone else';
}

/** Why the service disabled an account, completing "Disabled the account (…)". */
const DEPROVISION_REASONS: Readonly<Record<string, string>> = {
  inactive: 'not signed in for a long time',
  ineligible: 'no longer eligible for an account',
};

/** Which sign-in sessions were ended (`sessions_end`), by its `detail`. */
const SESSIONS_ENDED: Readonly<Record<string, string>> = {
  one: 'Signed out a sign-in session',
  others: 'Signed out everywhere else',
  password_change: 'Signed out everywhere else when changing the password',
};

/**
 * What an entry acted on, by name when the BFF knows it, else by id: "the account ada@example.org" (an
 * account's id is its username), "experiment “team/exp”", "experiment with ID 17", "model “churn”".
 */
export function targetLabel(target: ActivityEntry['target']): string {
  if (target.type === 'account') return `the account ${target.name ?? target.id}`;
  if (target.type === 'machine_account') return `the machine account ${target.id}`;
  if (target.type === 'group') return `the group ${groupLabel(target.id)}`;
  // A newer BFF may name a type this page does not know: say it as it is.
  const type = own(TYPE_TEXT, target.type)?.singular ?? target.type;
  if (target.name !== null) return `${type} “${target.name}”`;
  // Experiments are known by a number; models and prompts by their name, which is their id.
  return target.type === 'experiment' ? `${type} with ID ${target.id}` : `${type} “${target.id}”`;
}

/** "Edit", "Read"…; the value as it is when this page does not know it. */
function permissionWord(permission: string): string {
  return (PERMISSION_TEXT as Partial<Record<string, { label: string }>>)[permission]?.label ?? permission;
}

/**
 * What happened, in a sentence without its subject (the page shows who did it beside it), e.g. "Changed the
 * password" or "Gave grace@example.org Edit access to experiment “team/exp”".
 * @param ownUsername the person's MLflow username: a sharing entry about them says "you" instead
 */
export function describeActivity(entry: ActivityEntry, ownUsername: string | null = null): string {
  const target = targetLabel(entry.target);
  const aboutYou = !!entry.subject && !!ownUsername && entry.subject.toLowerCase() === ownUsername.toLowerCase();
  const subject = aboutYou ? 'you' : (entry.subject ?? 'someone');
  const subjects = aboutYou ? 'your' : `${entry.subject ?? 'someone'}’s`;
  const permission = entry.permission ? permissionWord(entry.permission) : null;

  switch (entry.action) {
    case 'register':
      return `Registered ${target}`;
    case 'claim':
      return `Claimed ${target}`;
    case 'password_change':
      return 'Changed the password';
    case 'vault_repair':
      return 'Stored a matching copy of the password in Vault';
    case 'reenable':
      return 'Enabled the account again with a new password';
    case 'delete':
      return `Deleted ${target}`;
    case 'deprovision': {
      const reason = entry.detail ? own(DEPROVISION_REASONS, entry.detail) : undefined;
      return reason ? `Disabled the account (${reason})` : 'Disabled the account';
    }
    case 'bind':
      return `An operator bound ${target} to your sign-in`;
    case 'unbind':
      return `An operator unbound ${target} from your sign-in`;
    case 'sessions_end':
      return own(SESSIONS_ENDED, entry.detail ?? '') ?? 'Signed out sign-in sessions';
    case 'machine_create':
      return `Made ${target}`;
    case 'machine_rotate':
      return `Made a new password for ${target}`;
    case 'machine_delete':
      return `Deleted ${target}`;
    case 'machine_disable': {
      const reason = entry.detail ? own(DEPROVISION_REASONS, entry.detail) : undefined;
      return reason ? `Disabled ${target} with your account (${reason})` : `Disabled ${target} with your account`;
    }
    case 'share_grant':
      return permission ? `Gave ${subject} ${permission} access to ${target}` : `Gave ${subject} access to ${target}`;
    case 'share_change':
      return permission
        ? `Changed ${subjects} access to ${target} to ${permission}`
        : `Changed ${subjects} access to ${target}`;
    case 'share_revoke':
      return `Removed ${subjects} access to ${target}`;
    case 'invite':
      return permission
        ? `Invited ${subject} (no account yet) with ${permission} access to ${target}`
        : `Invited ${subject} (no account yet) to ${target}`;
    case 'invite_change':
      return permission
        ? `Changed the invitation of ${subject} to ${target} to ${permission}`
        : `Changed the invitation of ${subject} to ${target}`;
    case 'invite_revoke':
      return `Revoked the invitation of ${subject} to ${target}`;
    case 'invite_apply':
      return permission
        ? `Applied the invitation: gave ${subject} ${permission} access to ${target}`
        : `Applied the invitation of ${subject} to ${target}`;
    case 'invite_expire':
      return `The invitation of ${subject} to ${target} expired`;
    case 'group_join':
      return `Added ${subject} to ${target} at sign-in`;
    case 'group_leave':
      return entry.detail === 'deprovision'
        ? `Removed ${subject} from ${target} with the account`
        : `Removed ${subject} from ${target} at sign-in (no longer in the group)`;
    case 'group_grant':
      return permission
        ? `Gave the group ${groupLabel(entry.subject ?? '')} ${permission} access to ${target}`
        : `Gave the group ${groupLabel(entry.subject ?? '')} access to ${target}`;
    case 'group_change':
      return permission
        ? `Changed the group ${groupLabel(entry.subject ?? '')}’s access to ${target} to ${permission}`
        : `Changed the group ${groupLabel(entry.subject ?? '')}’s access to ${target}`;
    case 'group_revoke':
      return `Removed the group ${groupLabel(entry.subject ?? '')}’s access to ${target}`;
    default:
      return `“${entry.action}” on ${target}`;
  }
}

/** Whether the action did what it was meant to; when not, `code` is the error it ended with. */
export function outcomeOf(entry: ActivityEntry): { ok: true } | { ok: false; code: string } {
  return entry.outcome === 'ok' ? { ok: true } : { ok: false, code: entry.outcome };
}
