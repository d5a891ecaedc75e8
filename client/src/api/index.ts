import { appBasePath } from './base';
import { createApiClient, type ApiClient } from './client';
import { noteServerDate } from './clock';
import { navigateTo } from './navigation';
import type {
  ActivityPage,
  CollaboratorList,
  CollaboratorLookup,
  EndedSessions,
  Grant,
  GroupGrantChange,
  GroupGrantList,
  Logout,
  MachineAccountList,
  MachineAccountPassword,
  Me,
  MyGroups,
  NewMachineAccount,
  Permission,
  PublicConfig,
  Registration,
  ResourceList,
  ResourceType,
  SignInSessionList,
} from './types';

export { ApiError, asApiError } from './client';
export { serverNow } from './clock';
export { own } from './own';
export type * from './types';

/** The app's base path, e.g. `/signup/`; every BFF route and every app route lives below it. */
export const basePath = appBasePath();

let csrfToken: string | null = null;

/** Remembers the session's CSRF token (from `GET /api/me`) for every later request. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const client: ApiClient = createApiClient({
  basePath,
  csrfToken: () => csrfToken,
  onResponse: (response) => noteServerDate(response.headers.get('date')),
});

/** One function per BFF route in docs/api.md. */
export const bff = {
  config: () => client.request<PublicConfig>('GET', 'api/config'),
  me: () => client.request<Me>('GET', 'api/me'),
  register: (password: string) => client.request<Registration>('POST', 'api/me', { password }),
  /** Takes over the unowned account with the person's email, proving its current MLflow password. */
  claim: (password: string) => client.request<Registration>('POST', 'api/me/claim', { password }),
  /** @param options.endOtherSessions also signs the person out of every other browser once it changed */
  changePassword: (password: string, options: { endOtherSessions?: boolean } = {}) =>
    client.request<void>(
      'PUT',
      'api/me/password',
      options.endOtherSessions ? { password, end_other_sessions: true } : { password },
    ),
  deleteAccount: () => client.request<void>('DELETE', 'api/me'),
  /**
   * One page of the person's activity, newest first.
   * @param page.limit entries per page (the BFF accepts 1–100, 50 when absent)
   * @param page.before the previous page's `next_before`, for the page after it; absent for the newest
   */
  activity: (page: { limit?: number; before?: string | null } = {}) =>
    client.request<ActivityPage>('GET', `api/me/activity${activityQuery(page)}`),
  machineAccounts: () => client.request<MachineAccountList>('GET', 'api/me/machine-accounts'),
  createMachineAccount: (label: string) =>
    client.request<NewMachineAccount>('POST', 'api/me/machine-accounts', { label }),
  rotateMachineAccount: (label: string) =>
    client.request<MachineAccountPassword>('POST', `${machineAccountPath(label)}/password`),
  deleteMachineAccount: (label: string) => client.request<void>('DELETE', machineAccountPath(label)),
  /** The person's sign-in sessions of this service, newest first. */
  signInSessions: () => client.request<SignInSessionList>('GET', 'api/me/sessions'),
  endSignInSession: (id: string) => client.request<void>('DELETE', `api/me/sessions/${encodeURIComponent(id)}`),
  endOtherSignInSessions: () => client.request<EndedSessions>('POST', 'api/me/sessions/end-others'),
  logout: () => client.request<Logout>('POST', 'auth/logout'),
  resources: (type: ResourceType) =>
    client.request<ResourceList>('GET', `api/resources?type=${encodeURIComponent(type)}`),
  collaborators: (type: ResourceType, id: string) =>
    client.request<CollaboratorList>('GET', `${resourcePath(type, id)}/collaborators`),
  collaborator: (type: ResourceType, id: string, username: string) =>
    client.request<CollaboratorLookup>('GET', collaboratorPath(type, id, username)),
  setCollaborator: (type: ResourceType, id: string, username: string, permission: Permission) =>
    client.request<Grant>('PUT', collaboratorPath(type, id, username), { permission }),
  removeCollaborator: (type: ResourceType, id: string, username: string) =>
    client.request<void>('DELETE', collaboratorPath(type, id, username)),
  /** The person's shareable groups, whether groups can be shared with here, and their last sign-in sync. */
  myGroups: () => client.request<MyGroups>('GET', 'api/me/groups'),
  groupGrants: (type: ResourceType, id: string) =>
    client.request<GroupGrantList>('GET', `${resourcePath(type, id)}/groups`),
  setGroupGrant: (type: ResourceType, id: string, group: string, permission: Permission) =>
    client.request<GroupGrantChange>('PUT', groupPath(type, id, group), { permission }),
  removeGroupGrant: (type: ResourceType, id: string, group: string) =>
    client.request<void>('DELETE', groupPath(type, id, group)),
};

function activityQuery({ limit, before }: { limit?: number; before?: string | null }): string {
  const query = new URLSearchParams();
  if (limit !== undefined) query.set('limit', String(limit));
  if (before !== undefined && before !== null) query.set('before', before);
  const text = query.toString();
  return text ? `?${text}` : '';
}

function machineAccountPath(label: string): string {
  return `api/me/machine-accounts/${encodeURIComponent(label)}`;
}

/** `api/{type}/{id}`: ids are model and prompt names too, which may hold `/`, spaces or non-ASCII. */
function resourcePath(type: ResourceType, id: string): string {
  return `api/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
}

function collaboratorPath(type: ResourceType, id: string, username: string): string {
  return `${resourcePath(type, id)}/collaborators/${encodeURIComponent(username)}`;
}

/** Group ids (`realm_role:team-vision`) hold `:` and may hold `/`: always encoded. */
function groupPath(type: ResourceType, id: string, group: string): string {
  return `${resourcePath(type, id)}/groups/${encodeURIComponent(group)}`;
}

/**
 * Sends the browser to the provider's sign-in page through the BFF.
 * @param returnTo where to come back to, as a full path under the base path (e.g. `/signup/account`)
 */
export function signIn(returnTo: string): void {
  navigateTo(`${basePath}auth/login?returnTo=${encodeURIComponent(returnTo)}`);
}

/**
 * Sends the browser through the provider for a fresh sign-in ("step-up": the provider asks for the
 * password again even while its own session lasts), before changing the password or deleting the account.
 * @param returnTo where to come back to, as a full path under the base path; it may carry a query string
 *   (e.g. `/signup/account?resume=change-password`)
 */
export function signInAgain(returnTo: string): void {
  navigateTo(`${basePath}auth/login?reauth=1&returnTo=${encodeURIComponent(returnTo)}`);
}

/** The full path (base path included) of an app route such as `/account`, for use as `returnTo`. */
export function fullPath(appPath: string): string {
  return `${basePath}${appPath.replace(/^\/+/, '')}`;
}
