/**
 * The path the app is served under, with a trailing slash (`/signup/` by default).
 *
 * index.html ships with `<base href="/" />` and the BFF rewrites it to its `BASE_PATH` when serving the page,
 * so the app learns where it lives from `document.baseURI` instead of from a build-time constant.
 */
export function appBasePath(baseURI: string = document.baseURI): string {
  const { pathname } = new URL(baseURI);
  return pathname.endsWith('/') ? pathname : pathname.replace(/[^/]*$/, '');
}
