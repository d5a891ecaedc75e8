import { appBasePath } from './base';
import { createApiClient, type ApiClient } from './client';
import { noteServerDate } from './clock';
import { navigateTo } from './navigation';
import type {
  ActivityPage,
  CollaboratorList,
  CollaboratorLookup,
  Grant,
  Logout,
  Me,
  Permission,
  PublicConfig,
  Registration,
  ResourceList,
  ResourceType,
} from './types';

export { ApiError, asApiError } from './client';
export { serverNow } from './clock';
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
  changePassword: (password: string) => client.request<void>('PUT', 'api/me/password', { password }),
  deleteAccount: () => client.request<void>('DELETE', 'api/me'),
  /**
   * One page of the person's activity, newest first.
   * @param page.limit entries per page (the BFF accepts 1–100, 50 when absent)
   * @param page.before the previous page's `next_before`, for the page after it; absent for the newest
   */
  activity: (page: { limit?: number; before?: string | null } = {}) =>
    client.request<ActivityPage>('GET', `api/me/activity${activityQuery(page)}`),
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
};

function activityQuery({ limit, before }: { limit?: number; before?: string | null }): string {
  const query = new URLSearchParams();
  if (limit !== undefined) query.set('limit', String(limit));
  if (before !== undefined && before !== null) query.set('before', before);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** `api/{type}/{id}`: ids are model and prompt names too, which may hold `/`, spaces or non-ASCII. */
function resourcePath(type: ResourceType, id: string): string {
  return `api/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
}

function collaboratorPath(type: ResourceType, id: string, username: string): string {
  return `${resourcePath(type, id)}/collaborators/${encodeURIComponent(username)}`;
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
