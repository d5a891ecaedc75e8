/**
 * Where to send the browser after sign-in. Only same-origin relative paths under the service's own base
 * path are accepted, so `/auth/login?returnTo=` cannot be used as an open redirect.
 */
export function safeReturnTo(candidate: unknown, basePath: string): string {
  const fallback = `${basePath}/`;
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 2048) return fallback;
  // Reject scheme-relative (`//evil`), backslash tricks (`/\evil`), control characters and absolute URLs.
  if (!candidate.startsWith('/') || candidate.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(candidate)) return fallback;
  let url: URL;
  try {
    url = new URL(candidate, 'http://placeholder.invalid');
  } catch {
    return fallback;
  }
  if (url.origin !== 'http://placeholder.invalid') return fallback;
  const inBase = basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
  if (!inBase) return fallback;
  // Never bounce back into the auth endpoints themselves.
  if (url.pathname.startsWith(`${basePath}/auth/`)) return fallback;
  return url.pathname + url.search + url.hash;
}
