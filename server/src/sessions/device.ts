/**
 * A coarse description of the browser a session was started from, shown in the list of sign-ins so the
 * person can tell them apart: the browser family and the operating system family, e.g. "Firefox on
 * Linux". Never the User-Agent itself, nor versions or device models: those say more about a person than
 * the list needs, and the User-Agent is whatever the client chose to send.
 *
 * Parsing is bowser's (MIT, no dependencies, about 300 KB of heap once loaded); only names from its own
 * lists are kept, so what is stored is always one of a fixed set of words.
 * @see https://github.com/bowser-js/bowser
 */
import { BROWSER_MAP, OS_MAP, parse } from 'bowser';

/** Longer User-Agent strings are cut before parsing: real ones are far shorter, and regexes stay cheap. */
const MAX_USER_AGENT = 512;

const BROWSERS: ReadonlySet<string> = new Set(Object.values(BROWSER_MAP));
const SYSTEMS: ReadonlySet<string> = new Set(Object.values(OS_MAP));

/** "Firefox on Linux", "Chrome", "a browser on Windows"; `undefined` when neither is recognised. */
export function describeDevice(userAgent: string | undefined): string | undefined {
  const ua = userAgent?.slice(0, MAX_USER_AGENT).trim();
  if (!ua) return undefined;
  let browser: string | undefined;
  let system: string | undefined;
  try {
    const parsed = parse(ua);
    browser = parsed.browser.name;
    system = parsed.os.name;
  } catch {
    return undefined;
  }
  const knownBrowser = browser && BROWSERS.has(browser) ? browser : undefined;
  const knownSystem = system && SYSTEMS.has(system) ? system : undefined;
  if (knownBrowser && knownSystem) return `${knownBrowser} on ${knownSystem}`;
  if (knownBrowser) return knownBrowser;
  if (knownSystem) return `A browser on ${knownSystem}`;
  return undefined;
}
