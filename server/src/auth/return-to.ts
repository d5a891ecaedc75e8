/**
 * Where to send the browser after sign-in. Only same-origin relative paths under the service's own base
 * path are accepted, so `/auth/login?returnTo=` cannot be used as an open redirect.
 *
 * The candidate is normalised the way a browser would (dot segments, percent-encoded dots) and checked
 * again afterwards: `/.//evil.example` normalises to `//evil.example`, which a browser reads as another host.
 * @see https://datatracker.ietf.org/doc/html/rfc9700#section-4.11 (open redirectors)
 */
const PLACEHOLDER_ORIGIN = 'http://placeholder.invalid';

/** Paths a browser would take for another host (or, with `//` anywhere, a proxy might), control characters, backslashes. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /\/\/|[\\\u0000-\u001f\u007f]/;
/** The same, percent-encoded: a slash, a backslash or a control character that a proxy or browser could decode. */
const ENCODED_UNSAFE = /%(?:2f|5c|[01][0-9a-f]|7f)/i;

export function safeReturnTo(candidate: unknown, basePath: string): string {
  const fallback = `${basePath}/`;
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 1024) return fallback;
  if (!candidate.startsWith('/') || UNSAFE.test(candidate)) return fallback;
  let url: URL;
  try {
    url = new URL(candidate, PLACEHOLDER_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return fallback;
  const path = url.pathname;
  // After normalisation: still one leading slash, and no encoded slash or backslash that a proxy could decode.
  if (UNSAFE.test(path) || ENCODED_UNSAFE.test(path)) return fallback;
  const inBase = basePath === '' || path === basePath || path.startsWith(`${basePath}/`);
  if (!inBase) return fallback;
  // Never bounce back into the auth endpoints themselves.
  if (path === `${basePath}/auth` || path.startsWith(`${basePath}/auth/`)) return fallback;
  return path + url.search + url.hash;
}
