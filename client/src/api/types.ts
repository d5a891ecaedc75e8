/**
 * The BFF's JSON shapes, as written in docs/api.md. Names stay `snake_case`, like the wire format, so that
 * the contract can be compared line by line.
 */

export interface PasswordPolicy {
  min_length: number;
  max_length: number;
}

/** `GET /api/config`: what anyone may know before signing in. */
export interface PublicConfig {
  mlflow_url: string;
  privacy_policy_url: string | null;
  terms_of_use_url: string | null;
  vault_enabled: boolean;
  password_policy: PasswordPolicy;
  /**
   * Whom to ask for help (an email address or a web address), e.g. when the password of an account to claim
   * is forgotten; `null` when the deployment names nobody. See `supportContact()` in `stores/config.ts`.
   */
  support_contact: string | null;
}

export type IneligibleCode = 'not_eligible' | 'email_missing' | 'email_not_verified';

interface SignedInUser {
  email: string | null;
  name: string | null;
  eligible: boolean;
  ineligible: { code: IneligibleCode; message: string } | null;
}

/**
 * Why and when an account was disabled: its owner had not signed in for a long time (`inactive`), or signed
 * in without being eligible any more (`ineligible`). Its MLflow password no longer works; setting a new one
 * (`PUT /api/me/password`) enables it again.
 */
export interface AccountDisabled {
  /** An ISO timestamp. */
  at: string;
  reason: 'inactive' | 'ineligible';
}

interface MlflowAccount {
  id: number;
  /** The name to sign in to MLflow with. It stays when the email at the provider changes: never show the email instead. */
  username: string;
  is_admin: boolean;
  /** `null` while the account works. */
  disabled: AccountDisabled | null;
}

/**
 * Whose the MLflow account with the person's email is (docs/api.md, "Accounts and identities"):
 * - `owned`: bound to this sign-in;
 * - `none`: there is none yet, `POST /api/me` creates it;
 * - `claimable`: it exists but has no owner here yet (made by the older service or by an administrator);
 *   `POST /api/me/claim` with its current MLflow password makes it the person's;
 * - `owned_by_other_identity`: it belongs to another sign-in (another account at the provider, or another
 *   provider);
 * - `protected`: an MLflow administrator account, never claimed through this service.
 */
export type OwnershipStatus = 'owned' | 'none' | 'claimable' | 'owned_by_other_identity' | 'protected';

export interface Ownership {
  status: OwnershipStatus;
  /** The MLflow username the status is about (for `none`: the one `POST /api/me` would create). */
  username: string | null;
  /**
   * True when the provider now sends another email than the one the account was made for. MLflow cannot
   * rename users, so the person keeps signing in to MLflow with `username`.
   */
  email_changed: boolean;
  /** What to do and whom to contact, from the server (for `owned_by_other_identity` and `protected`). */
  message: string | null;
}

/**
 * Whether Vault holds a copy of the MLflow credentials that matches them.
 * `disabled`: this deployment does not use Vault.
 */
export type VaultStatus = 'disabled' | 'in_sync' | 'out_of_sync' | 'missing' | 'unavailable';

/**
 * Whether changing the password or deleting the account needs a recent sign-in ("step-up"), and until
 * when the current one counts as recent.
 */
export interface Reauthentication {
  /** How recent a sign-in must be, in seconds. */
  max_age_seconds: number;
  /**
   * An ISO timestamp: until when the current sign-in counts as recent. `null` when it already does not
   * (or the provider never said when the person signed in).
   */
  recent_until: string | null;
}

/** The Vault part of `GET /api/me`; the BFF sends `null` where it tells nothing (another sign-in's account). */
interface VaultState {
  status: VaultStatus;
}

/**
 * `GET /api/me`: the signed-in person only. The password policy and the service's links are public
 * configuration, served once by `GET /api/config` ({@link PublicConfig}).
 */
export interface Me {
  user: SignedInUser;
  ownership: Ownership;
  /** The account bound to this sign-in; `null` unless `ownership.status` is `owned`. */
  account: MlflowAccount | null;
  vault: VaultState | null;
  /** `null`: the operator turned step-up off, sensitive actions need no recent sign-in. */
  reauthentication: Reauthentication | null;
  csrf_token: string;
  /** Invitations applied to the account by this very request (absent from a BFF before invitations). */
  shared_with_you?: SharedWithYou[];
}

/**
 * A resource someone shared with the person's email before they had an account (an invitation), applied
 * to their account when they registered or claimed it.
 */
export interface SharedWithYou {
  type: ResourceType;
  id: string;
  /** The experiment's name; a model's or prompt's name is its id. */
  name: string;
  permission: Permission;
  /** The MLflow username of the manager who shared it. */
  invited_by: string;
}

/** `POST /api/me` → 201, and `POST /api/me/claim` → 200: the account now bound to the person. */
export interface Registration {
  account: MlflowAccount;
  vault: VaultState | null;
  /** Invitations applied at this registration or claim (absent from a BFF before invitations). */
  shared_with_you?: SharedWithYou[];
}

/** What an activity entry is about. Words for each are in `activity/labels.ts`. */
type ActivityAction =
  | 'register'
  | 'claim'
  | 'password_change'
  | 'vault_repair'
  | 'reenable'
  | 'delete'
  | 'share_grant'
  | 'share_change'
  | 'share_revoke'
  | 'deprovision'
  | 'bind'
  | 'unbind'
  | 'invite'
  | 'invite_change'
  | 'invite_revoke'
  | 'invite_apply'
  | 'invite_expire'
  | 'machine_create'
  | 'machine_rotate'
  | 'machine_delete'
  | 'machine_disable'
  | 'sessions_end'
  | 'group_join'
  | 'group_leave'
  | 'group_grant'
  | 'group_change'
  | 'group_revoke';

/** One entry of `GET /api/me/activity`. */
export interface ActivityEntry {
  /** Opaque; the last one of a page is what `next_before` repeats. */
  id: string;
  /** An ISO timestamp. */
  at: string;
  /** Who did it: the person (`you`), this service itself (`service`: deprovisioning, operator commands), or someone else. */
  actor: { email: string | null; you: boolean; service: boolean };
  /** A known {@link ActivityAction}, or whatever a newer BFF sends. */
  action: ActivityAction | (string & {});
  target: { type: 'account' | 'machine_account' | 'group' | ResourceType; id: string; name: string | null };
  /** The person a sharing action was about (the one given, changed or losing a permission). */
  subject: string | null;
  permission: EffectivePermission | null;
  /** Why the account was disabled, for `deprovision`; null otherwise. */
  detail: 'inactive' | 'ineligible' | (string & {}) | null;
  /** `ok`, or the error code the action ended with. */
  outcome: 'ok' | (string & {});
}

/** `GET /api/me/activity`, newest first. */
export interface ActivityPage {
  entries: ActivityEntry[];
  /** Pass back as `before` for the next (older) page; `null` when there is none. */
  next_before: string | null;
}

/** `POST /auth/logout` with `Accept: application/json`. */
export interface Logout {
  redirect_to: string;
}

/** One entry of a 422 answer's `error.fields`. */
export interface FieldError {
  field: string;
  message: string;
}

/** The error codes docs/api.md names, plus the ones this client makes up for failures without an answer. */
export type ApiErrorCode =
  | 'invalid_json'
  | 'not_authenticated'
  | 'session_expired'
  | 'reauthentication_required'
  | 'csrf'
  | IneligibleCode
  | 'forbidden'
  | 'claim_password_incorrect'
  | 'not_registered'
  | 'not_claimable'
  | 'user_not_registered'
  | 'already_registered'
  | 'account_owned_by_other_identity'
  | 'last_manager'
  | 'resource_not_found'
  | 'grant_not_found'
  | 'permission_not_supported'
  | 'not_supported_by_mlflow'
  | 'payload_too_large'
  | 'validation_failed'
  | 'weak_password'
  | 'password_invalid_characters'
  | 'too_many_attempts'
  | 'vault_failed'
  | 'vault_out_of_sync'
  | 'mlflow_unavailable'
  | 'provider_unavailable'
  | 'machine_accounts_disabled'
  | 'machine_account_not_found'
  | 'machine_account_exists'
  | 'machine_account_limit'
  | 'invitation_limit'
  | 'session_not_found'
  | 'not_a_group_member'
  | 'group_grant_not_found'
  | 'group_role_conflict'
  | ClientErrorCode;

/** Codes for failures that never reached a well-formed answer from the BFF. */
type ClientErrorCode = 'network_error' | 'timeout' | 'unexpected_response';

/** What can be shared: `{type}` in the sharing routes. */
export type ResourceType = 'experiment' | 'registered_model' | 'prompt';

/** A permission that can be granted, weakest first. `USE` exists from MLflow 3.13 on. */
export type Permission = 'READ' | 'USE' | 'EDIT' | 'MANAGE';

/** What someone may do on a resource, all grants counted. */
export type EffectivePermission = Permission | 'NO_PERMISSIONS';

/** What the MLflow server behind the BFF can do about sharing. */
export interface SharingCapabilities {
  /** `legacy`: MLflow before 3.13. */
  generation: 'rbac' | 'legacy';
  /** False before MLflow 3.13: people can only be looked up one by one. */
  can_list_collaborators: boolean;
  /** The permissions that may be granted, weakest first. */
  permissions: Permission[];
}

/** One row of `GET /api/resources`: a resource the person holds a grant on, or a role's pattern grant. */
export interface SharedResource {
  /** Experiment id, model or prompt name; for pattern rows the pattern (e.g. `*`). */
  id: string;
  /** Null for pattern rows. */
  name: string | null;
  permission: EffectivePermission;
  can_manage: boolean;
  via: 'direct' | 'role';
  role: string | null;
  /** A role grant on every resource matching `id` (e.g. `*`), not one resource. */
  pattern: boolean;
}

/** `GET /api/resources?type=…`. */
export interface ResourceList {
  type: ResourceType;
  capabilities: SharingCapabilities;
  resources: SharedResource[];
}

/**
 * One entry of `GET /api/{type}/{id}/collaborators`: a grant someone holds, or (`via: 'invitation'`) a
 * grant waiting for an email that has no MLflow account yet.
 */
export interface Collaborator {
  username: string;
  permission: EffectivePermission;
  via: 'direct' | 'role' | 'invitation';
  role: string | null;
  /** An ISO timestamp: until when an invitation waits (invitations only). */
  expires_at?: string;
}

/** `GET /api/{type}/{id}/collaborators`. */
export interface CollaboratorList {
  collaborators: Collaborator[];
}

/** `GET /api/{type}/{id}/collaborators/{username}`. */
export interface CollaboratorLookup {
  username: string;
  /** The person's direct grant, or null. */
  permission: Permission | null;
  /** Roles included. */
  effective_permission: EffectivePermission;
  /** For an email without an account that was invited: the grant waiting for it. */
  pending?: PendingGrant | null;
}

/** An invitation's grant, waiting for the email to register. */
interface PendingGrant {
  permission: Permission;
  /** An ISO timestamp. */
  expires_at: string;
}

/** `PUT /api/{type}/{id}/collaborators/{username}` → 200 or 201, or 202 for an invitation. */
export interface Grant {
  username: string;
  permission: Permission;
  /** 202: the email has no account yet, so an invitation was recorded (or changed) instead. */
  pending?: true;
  /** With `pending`: until when the invitation waits (an ISO timestamp). */
  expires_at?: string;
}

/**
 * An MLflow user the person owns for pipelines (docs/api.md, "Machine accounts"): `username` is
 * `<owner username>/<label>`, never an email address.
 */
export interface MachineAccount {
  username: string;
  /** 1–32 of a-z, 0-9 and `-`, starting with a letter or digit. */
  label: string;
  /** An ISO timestamp. */
  created_at: string;
  /** An ISO timestamp: when the password was last replaced; `null` when never. */
  rotated_at: string | null;
  /** Disabled with its owner (a random password); a new password enables it again. */
  disabled: boolean;
}

/** `GET /api/me/machine-accounts`, oldest first. */
export interface MachineAccountList {
  /** How many one person may own; 0: none can be made (the feature is off). */
  limit: number;
  machine_accounts: MachineAccount[];
}

/**
 * Whether the Vault copy of a machine account holds the password just made: `null` when this deployment
 * does not use Vault; `out_of_sync` when the write failed (a new password writes it again).
 */
export type MachineVault = { status: 'in_sync' | 'out_of_sync' } | null;

/** `POST /api/me/machine-accounts` → 201: the new machine account and its password, shown this once. */
export interface NewMachineAccount extends MachineAccount {
  password: string;
  vault: MachineVault;
}

/** `POST /api/me/machine-accounts/{label}/password` → 200: the new password, shown this once. */
export interface MachineAccountPassword {
  password: string;
  vault: MachineVault;
}

/** One entry of `GET /api/me/sessions`: a browser signed in to this service as the person. */
export interface SignInSession {
  /** Names the session in this list (not the session cookie); `DELETE /api/me/sessions/{id}` ends it. */
  id: string;
  /** ISO timestamps; `null` for a session started before the BFF recorded them. */
  created_at: string | null;
  /** Up to a minute behind: the BFF writes it at most once a minute. */
  last_seen_at: string | null;
  /** Browser and operating system families, e.g. "Firefox on Linux"; `null` when not recognised. */
  device: string | null;
  /** The session of this very browser. */
  current: boolean;
}

/** `GET /api/me/sessions`, newest first. */
export interface SignInSessionList {
  sessions: SignInSession[];
}

/** `POST /api/me/sessions/end-others`. */
export interface EndedSessions {
  ended: number;
}

/** Where a group comes from at the OpenID provider: the first part of a group id `<kind>:<value>`. */
type GroupKind = 'entitlement' | 'realm_role' | 'group';

/** One of the person's shareable groups (docs/api.md, "Sharing with groups"). */
interface ShareableGroup {
  /** `<kind>:<value>`, e.g. `realm_role:team-vision`. */
  id: string;
  kind: GroupKind;
  value: string;
  /** The group's MLflow role, once it was shared with at least once; null before. */
  role: string | null;
  /** Whether the group has a role (it was shared with at least once). */
  shared: boolean;
}

/** The last sign-in sync of the person's group memberships. */
interface GroupSync {
  /** `ok`, or the error code the sync ended with (retried at the next sign-in). */
  outcome: 'ok' | (string & {});
  /** ISO timestamps. */
  attempted_at: string;
  synced_at: string | null;
  /** The group roles held after the last successful sync. */
  groups: string[];
}

/** `GET /api/me/groups`. */
export interface MyGroups {
  /** False when the deployment does not share with groups (no `SHAREABLE_GROUPS`). */
  enabled: boolean;
  /** False on MLflow before 3.13: groups are then hidden. */
  supported: boolean;
  groups: ShareableGroup[];
  sync: GroupSync | null;
}

/** One entry of `GET /api/{type}/{id}/groups`: a group's grant on the resource. */
export interface GroupGrant {
  /** The group id, `<kind>:<value>`. */
  group: string;
  role: string;
  permission: Permission;
  /** How many people MLflow has assigned to the group's role. */
  members: number;
}

/** `GET /api/{type}/{id}/groups`. */
export interface GroupGrantList {
  groups: GroupGrant[];
}

/** `PUT /api/{type}/{id}/groups/{group}` → 201 (new) or 200 (changed). */
export interface GroupGrantChange {
  group: string;
  permission: Permission;
}
