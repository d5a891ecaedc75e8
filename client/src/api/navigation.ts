/**
 * Full-page navigations: leaving the app for the OpenID provider, or for wherever sign-out ends.
 * Kept apart so that tests can replace them.
 */

/** Leaves the app for `url` (the provider, or the sign-in / sign-out endpoints of the BFF). */
export function navigateTo(url: string): void {
  window.location.assign(url);
}

/** Where the browser is now, as a path the BFF accepts as `returnTo` (it includes the base path). */
export function currentPath(): string {
  const { pathname, search, hash } = window.location;
  return `${pathname}${search}${hash}`;
}
