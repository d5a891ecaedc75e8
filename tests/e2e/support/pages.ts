/**
 * Pages for the browser tests: each in a fresh context (one person's cookies), recording what it logs
 * (console, uncaught errors, failed requests, Content-Security-Policy violations).
 */
import type { Browser, Page } from 'playwright-core';

export type { Locator, Page } from 'playwright-core';

/** The desktop viewport used unless a test asks for another. */
export const DESKTOP = { width: 1280, height: 800 } as const;
/** A small phone. */
export const MOBILE = { width: 375, height: 740 } as const;

/** The colour schemes and sizes every page is checked in with axe. */
export const AXE_VARIANTS = [
  { name: 'light, desktop', colorScheme: 'light', viewport: DESKTOP },
  { name: 'dark, desktop', colorScheme: 'dark', viewport: DESKTOP },
  { name: 'light, 375 px', colorScheme: 'light', viewport: MOBILE },
  { name: 'dark, 375 px', colorScheme: 'dark', viewport: MOBILE },
] as const;

export interface PageOptions {
  /** Default {@link DESKTOP}. */
  viewport?: { width: number; height: number };
  /** Default `light`. */
  colorScheme?: 'light' | 'dark';
  /** Default `en-GB`. */
  locale?: string;
}

/** One line of what a page said: console messages, uncaught errors, failed requests, CSP violations. */
export interface LogEntry {
  /** Milliseconds since the page was created. */
  at: number;
  kind: 'console' | 'pageerror' | 'requestfailed' | 'csp' | 'crash';
  /** For `console`: `log`, `error`, `warning`, …; otherwise the same as `kind`. */
  type: string;
  text: string;
  /** `url:line:column` when known. */
  location?: string;
  /** The page's URL when it happened. */
  url: string;
}

const logs = new WeakMap<Page, LogEntry[]>();

/**
 * Reports every Content-Security-Policy violation as a console error that names the directive. Chromium
 * prints its own "Refused to …" message too, but this one is certain to reach Playwright. It is added
 * through CDP (`addScriptToEvaluateOnNewDocument`), which the page's CSP does not govern.
 */
const CSP_REPORTER = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('[csp-violation] ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' at ' + (e.sourceFile || '?') + ':' + e.lineNumber + ' (policy: ' + e.originalPolicy + ')');
}, true);`;

/**
 * A new page in a fresh browser context (its own cookies: one person's browser), recording its console,
 * uncaught errors and failed requests; read them with {@link pageLog}. Close with {@link closePage}.
 */
export async function newPage(browser: Browser, options: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    colorScheme: options.colorScheme ?? 'light',
    locale: options.locale ?? 'en-GB',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  await context.addInitScript({ content: CSP_REPORTER });
  const page = await context.newPage();
  recordLog(page);
  return page;
}

/** Starts recording a page's log (done by {@link newPage} for every page it opens). */
function recordLog(page: Page): LogEntry[] {
  const existing = logs.get(page);
  if (existing) return existing;
  const entries: LogEntry[] = [];
  logs.set(page, entries);
  const start = Date.now();
  const push = (entry: Omit<LogEntry, 'at' | 'url'>) =>
    entries.push({ at: Date.now() - start, url: pageUrl(page), ...entry });
  page.on('console', (msg) => {
    const loc = msg.location();
    const text = msg.text();
    push({
      kind: text.startsWith('[csp-violation]') ? 'csp' : 'console',
      type: msg.type(),
      text,
      location: loc.url ? `${loc.url}:${loc.lineNumber}:${loc.columnNumber}` : undefined,
    });
  });
  page.on('pageerror', (err) => push({ kind: 'pageerror', type: 'pageerror', text: err.stack ?? String(err) }));
  page.on('requestfailed', (req) => {
    const failure = req.failure()?.errorText ?? 'failed';
    // Navigations away abort in-flight requests; that is not a fault of the page.
    if (failure === 'net::ERR_ABORTED') return;
    push({ kind: 'requestfailed', type: 'requestfailed', text: `${req.method()} ${req.url()}: ${failure}` });
  });
  page.on('crash', () => push({ kind: 'crash', type: 'crash', text: 'the page crashed' }));
  return entries;
}

/** The page's URL, or `?` when the page is gone. */
export function pageUrl(page: Page): string {
  try {
    return page.url();
  } catch {
    return '?';
  }
}

/** Everything the page logged so far (live array). */
export function pageLog(page: Page): LogEntry[] {
  return logs.get(page) ?? recordLog(page);
}

/** The log as text, one entry per line. */
export function formatLog(entries: LogEntry[]): string {
  if (entries.length === 0) return '(the page logged nothing)\n';
  return (
    entries
      .map(
        (e) =>
          `[+${(e.at / 1000).toFixed(3)}s] ${e.kind === 'console' ? e.type : e.kind}: ${e.text}${e.location ? `\n    at ${e.location}` : ''}\n    (page ${e.url})`,
      )
      .join('\n') + '\n'
  );
}

/** Content-Security-Policy violations the page reported (console "Refused to …" and the reporter's lines). */
export function cspViolations(page: Page): LogEntry[] {
  return pageLog(page).filter((e) => e.kind === 'csp' || /Content Security Policy/i.test(e.text));
}

/** Console errors and uncaught exceptions: what a healthy page should not produce. */
export function pageErrors(page: Page): LogEntry[] {
  return pageLog(page).filter(
    (e) =>
      e.kind === 'pageerror' || e.kind === 'crash' || e.kind === 'csp' || (e.kind === 'console' && e.type === 'error'),
  );
}

/**
 * {@link pageErrors} that are the app's own: logged while the page was on the app (`stack.origin`), not by
 * the OpenID provider's pages (from `stack.oidc.issuer`; they are not ours), and not `expected` (given the
 * entry's text and location, e.g. a refusal Chromium logs as a failed load).
 */
export function appErrors(
  page: Page,
  stack: { origin: string; oidc: { issuer: string } },
  expected: (text: string, location: string) => boolean = () => false,
): LogEntry[] {
  return pageErrors(page).filter(
    (e) =>
      e.url.startsWith(stack.origin) &&
      !(e.location ?? '').startsWith(stack.oidc.issuer) &&
      !expected(e.text, e.location ?? ''),
  );
}

/**
 * The failed load Chromium logs when the SPA asks `GET /api/me` while signed out (401): how the page learns
 * nobody is signed in, expected on any page before signing in or after being signed out from elsewhere.
 */
export const signedOutProbe = (text: string, location: string): boolean =>
  /status of 401/.test(text) && /\/api\/me\b/.test(location);

/** Closes the page and its context. */
export async function closePage(page: Page): Promise<void> {
  await page
    .context()
    .close()
    .catch(() => undefined);
}
