/**
 * Dates from the BFF (ISO timestamps) in the reader's language and time zone. Put next to a
 * `<time datetime="…">` holding the timestamp itself, so that nothing is lost in the wording.
 */

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function format(formatter: Intl.DateTimeFormat, iso: string): string {
  const time = Date.parse(iso);
  // An unreadable value is shown as it came rather than as "Invalid Date".
  return Number.isFinite(time) ? formatter.format(time) : iso;
}

/** The day, e.g. "30 November 2026" (or "November 30, 2026", by language). */
export function formatDate(iso: string): string {
  return format(DATE, iso);
}

/** The day and the time of day, e.g. "30 Nov 2026, 13:00". */
export function formatDateTime(iso: string): string {
  return format(DATE_TIME, iso);
}
