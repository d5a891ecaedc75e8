/**
 * The BFF's clock, as seen from the browser. Times the BFF sends (e.g. until when a sign-in counts as
 * recent) are on its clock; a browser whose clock is minutes off would otherwise ask for a step-up that
 * can never succeed, or offer an action the BFF then refuses. Every answer's `Date` header says what time
 * it is on the BFF, to the second.
 */

/** Differences this small are within what a `Date` header (whole seconds) and the network can tell. */
const NOISE_MS = 2_000;

let offsetMs = 0;

/**
 * Remembers how far the BFF's clock is from the browser's, from an answer's `Date` header (ignored when
 * absent or unreadable).
 * @param receivedAt when the answer arrived, on the browser's clock
 */
export function noteServerDate(header: string | null, receivedAt: number = Date.now()): void {
  if (!header) return;
  const serverTime = Date.parse(header);
  if (Number.isNaN(serverTime)) return;
  // The header is cut to the second: on average the BFF's clock was half a second further.
  const offset = serverTime + 500 - receivedAt;
  offsetMs = Math.abs(offset) < NOISE_MS ? 0 : offset;
}

/** The time now on the BFF's clock (milliseconds since the epoch). */
export function serverNow(): number {
  return Date.now() + offsetMs;
}
