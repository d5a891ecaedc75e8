/**
 * Real Chromium for the browser tests: launching it, pages that record their console, signing in through
 * the provider's real login form, an axe-core accessibility check, and artefacts left behind by a failing
 * test (a screenshot and the page's console log under `tests/e2e/artifacts/<test name>/`).
 *
 * Typical use, one browser per test file (see `account-flow.test.ts`):
 *
 * ```ts
 * let stack: Stack;
 * let browser: Browser;
 * beforeAll(async () => {
 *   [stack, browser] = await Promise.all([startE2eStack({ rule: 'realm_roles' }), launchBrowser()]);
 * });
 * afterAll(async () => { await browser?.close(); await stack?.stop(); });
 *
 * it('when …, then …', () =>
 *   withPage(browser, undefined, async (page) => { // undefined: jest's test name
 *     await signInThroughProvider(page, stack.baseUrl, 'alice', 'alice-password-123');
 *     await checkA11y(page, 'register page');
 *   }));
 * ```
 *
 * A page that lives across several `it` blocks (a journey) is made with {@link newPage} and each step is
 * wrapped in {@link withArtifacts}; close it with {@link closePage}.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

import { startStack, type Stack, type StackOptions } from '../../support/stack.js';

export type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
/** `tests/e2e/artifacts` (git-ignored). */
export const ARTIFACTS_DIR = path.resolve(here, '..', 'artifacts');
/** The SPA as built by `pnpm --filter ./client build`. */
export const CLIENT_DIST = path.resolve(here, '../../../client/dist');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The desktop viewport used unless a test asks for another. */
export const DESKTOP = { width: 1280, height: 800 } as const;
/** A small phone. */
export const MOBILE = { width: 375, height: 740 } as const;

/* ------------------------------------------------------------------------------------------------ */
/* The stack, serving a snapshot of the built SPA                                                     */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Copies `client/dist` to a fresh temporary directory and returns its path. The BFF reads `index.html` once
 * at start and the assets on every request, so a rebuild of `client/dist` during a run (vite empties the
 * directory) would leave it pointing at hashed files that are gone; a snapshot keeps one build for the whole
 * file. Fails loudly when there is no build, and warns when a client source is newer than it.
 */
export async function snapshotClientDist(): Promise<string> {
  const index = path.join(CLIENT_DIST, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`No built SPA at ${CLIENT_DIST}. Build it first: cd /work/main && pnpm --filter ./client build`);
  }
  const built = statSync(index).mtimeMs;
  const src = path.resolve(CLIENT_DIST, '../src');
  const newer = existsSync(src)
    ? (await readdir(src, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && statSync(path.join(d.parentPath, d.name)).mtimeMs > built)
    : [];
  const example = newer[0];
  if (example) {
    console.warn(`client/dist is older than ${newer.length} client source file(s) (e.g. ${path.join(example.parentPath, example.name)}): the browser tests run the old build. Rebuild with pnpm --filter ./client build.`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-client-dist-'));
  await cp(CLIENT_DIST, dir, { recursive: true });
  return dir;
}

/**
 * {@link startStack} serving a snapshot of the built SPA (see {@link snapshotClientDist}); `stop()` also
 * deletes the snapshot. Use this in every browser test file.
 */
export async function startE2eStack(options: StackOptions = {}): Promise<Stack> {
  const dist = await snapshotClientDist();
  try {
    const stack = await startStack({ ...options, env: { CLIENT_DIST_DIR: dist, ...options.env } });
    const stop = stack.stop.bind(stack);
    stack.stop = async () => {
      try {
        await stop();
      } finally {
        await rm(dist, { recursive: true, force: true });
      }
    };
    return stack;
  } catch (err) {
    await rm(dist, { recursive: true, force: true });
    throw err;
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Browser and pages                                                                                  */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Starts headless Chromium. A missing binary is an error, never a reason to skip: these tests are the
 * only proof that the SPA works in a browser.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH ` +
        'to a Chromium/Chrome binary. The browser tests do not skip without a browser.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

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

/** Starts recording a page's log (done by {@link newPage}; exported for pages opened by other means). */
export function recordLog(page: Page): LogEntry[] {
  const existing = logs.get(page);
  if (existing) return existing;
  const entries: LogEntry[] = [];
  logs.set(page, entries);
  const start = Date.now();
  const push = (entry: Omit<LogEntry, 'at' | 'url'>) => entries.push({ at: Date.now() - start, url: safeUrl(page), ...entry });
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

function safeUrl(page: Page): string {
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
      .map((e) => `[+${(e.at / 1000).toFixed(3)}s] ${e.kind === 'console' ? e.type : e.kind}: ${e.text}${e.location ? `\n    at ${e.location}` : ''}\n    (page ${e.url})`)
      .join('\n') + '\n'
  );
}

/** Content-Security-Policy violations the page reported (console "Refused to …" and the reporter's lines). */
export function cspViolations(page: Page): LogEntry[] {
  return pageLog(page).filter((e) => e.kind === 'csp' || /Content Security Policy/i.test(e.text));
}

/** Console errors and uncaught exceptions: what a healthy page should not produce. */
export function pageErrors(page: Page): LogEntry[] {
  return pageLog(page).filter((e) => e.kind === 'pageerror' || e.kind === 'crash' || e.kind === 'csp' || (e.kind === 'console' && e.type === 'error'));
}

/** Closes the page and its context. */
export async function closePage(page: Page): Promise<void> {
  await page.context().close().catch(() => undefined);
}

/* ------------------------------------------------------------------------------------------------ */
/* Artefacts                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

/**
 * A directory for a test's artefacts: its name as lowercase words joined by `-`; a name longer than 120
 * characters is cut to 111 and ends with a hash of the whole name, so that long names sharing a beginning
 * (a describe and `it.each` rows) never share a directory.
 */
export function artifactDirFor(testName: string): string {
  const slug =
    testName
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, ' ')
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, '-') || 'unnamed-test';
  const short = slug.length <= 120 ? slug : `${slug.slice(0, 111).replace(/-+$/, '')}-${createHash('sha256').update(testName).digest('hex').slice(0, 8)}`;
  return path.join(ARTIFACTS_DIR, short);
}

/** The name jest gives the running test (describe + it), or `undefined` outside a test. */
export function currentTestName(): string | undefined {
  try {
    return expect.getState().currentTestName ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Saves `screenshot.png` (full page), `console.log`, `page.html` and `error.txt` for a test into
 * `tests/e2e/artifacts/<test name>/`, replacing an earlier run's. Returns the directory.
 */
export async function saveArtifacts(page: Page, testName: string, error?: unknown): Promise<string> {
  const dir = artifactDirFor(testName);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const notes: string[] = [];
  try {
    await page.screenshot({ path: path.join(dir, 'screenshot.png'), fullPage: true, timeout: 10_000 });
  } catch (err) {
    notes.push(`screenshot failed: ${String(err)}`);
  }
  try {
    await writeFile(path.join(dir, 'page.html'), await page.content());
  } catch (err) {
    notes.push(`page.html failed: ${String(err)}`);
  }
  const header = `test: ${testName}\nurl: ${safeUrl(page)}\n${notes.map((n) => `note: ${n}\n`).join('')}\n`;
  await writeFile(path.join(dir, 'console.log'), header + formatLog(pageLog(page)));
  if (error !== undefined) {
    await writeFile(path.join(dir, 'error.txt'), error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  return dir;
}

/**
 * Runs `fn` on an existing page; when it throws, saves the artefacts and rethrows with their path
 * appended to the message; when it passes, removes artefacts an earlier run of the same test left. The
 * page stays open. `testName` defaults to jest's current test name.
 */
export async function withArtifacts<T>(page: Page, testName: string | undefined, fn: (page: Page) => Promise<T>): Promise<T> {
  const name = testName ?? currentTestName() ?? 'unnamed test';
  try {
    const result = await fn(page);
    // A pass clears what an earlier failing run of this test left, so artifacts/ only shows current failures.
    await rm(artifactDirFor(name), { recursive: true, force: true });
    return result;
  } catch (err) {
    let dir: string;
    try {
      dir = await saveArtifacts(page, name, err);
    } catch (saveErr) {
      dir = `(could not save artefacts: ${String(saveErr)})`;
    }
    const note = `\n\nArtefacts (screenshot.png, console.log, page.html): ${dir}`;
    if (err instanceof Error) {
      err.message += note;
      if (err.stack) err.stack = err.stack.replace(/^(.*)$/m, (first) => first + note);
      throw err;
    }
    throw new Error(String(err) + note);
  }
}

/**
 * A fresh page (own context, see {@link newPage}) for the duration of `fn`, closed afterwards. A failure
 * leaves a screenshot and the console log in `tests/e2e/artifacts/<test name>/` and names that path in the
 * error. `testName` defaults to jest's current test name.
 */
export async function withPage<T>(browser: Browser, testName: string | undefined, fn: (page: Page) => Promise<T>, options: PageOptions = {}): Promise<T> {
  const page = await newPage(browser, options);
  try {
    return await withArtifacts(page, testName, fn);
  } finally {
    await closePage(page);
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Waiting for the page (jest's expect has no web-first matchers)                                     */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Retries `assertion` (any code using jest's `expect`) until it stops throwing, then returns its value; after
 * `timeout` ms (default 10 s) rethrows its last error. For what the page shows after it reacts:
 * `await eventually(async () => expect(await main.locator('h1').innerText()).toBe('…'))`.
 */
export async function eventually<T>(assertion: () => T | Promise<T>, options: { timeout?: number; interval?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeout ?? 10_000);
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, options.interval ?? 100));
  }
}

/** Waits until the locator's first element's text (innerText, trimmed) equals or matches `expected`. */
export async function expectText(locator: Locator, expected: string | RegExp, options: { timeout?: number } = {}): Promise<void> {
  await eventually(async () => {
    const text = (await locator.first().innerText({ timeout: 1_000 })).trim();
    if (typeof expected === 'string') expect(text).toBe(expected);
    else expect(text).toMatch(expected);
  }, options);
}

/** Waits until the locator's first element's text (innerText) contains `expected`. */
export async function expectTextContaining(locator: Locator, expected: string, options: { timeout?: number } = {}): Promise<void> {
  await eventually(async () => expect(await locator.first().innerText({ timeout: 1_000 })).toContain(expected), options);
}

/** True when the locator's element is `document.activeElement`. */
export async function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => el === document.activeElement, undefined, { timeout: 2_000 }).catch(() => false);
}

/** What has focus, in words: `button "Sign in"`, `a "Skip to main content"`, `input#id`, or `body`. */
export async function describeFocus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'body';
    const tag = el.tagName.toLowerCase();
    const text = (el.getAttribute('aria-label') ?? el.innerText ?? '').trim().replace(/\s+/g, ' ').slice(0, 60);
    return `${tag}${el.id ? `#${el.id}` : ''}${text ? ` "${text}"` : ''}`;
  });
}

/* ------------------------------------------------------------------------------------------------ */
/* Signing in                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Signs in like a person: opens the SPA's start page (unless the page already shows the SPA's "Sign in"
 * button), clicks "Sign in", fills the provider's real login form (`username`, `password`, "Sign in") and
 * waits until the browser is back under `baseUrl` with the SPA rendered (an `h1` in `#main`). When the
 * provider still has a login session, its form is skipped, as in a real browser.
 *
 * `baseUrl` is the BFF's origin plus base path, e.g. `stack.baseUrl` (`http://127.0.0.1:1234/signup`).
 */
export async function signInThroughProvider(page: Page, baseUrl: string, login: string, password: string): Promise<void> {
  const base = baseUrl.replace(/\/+$/, '');
  const authPrefix = new URL(base + '/').pathname + 'auth/';
  const isApp = (href: string) => href.startsWith(base + '/') && !new URL(href).pathname.startsWith(authPrefix);
  const spaSignIn = page.locator('#main').getByRole('button', { name: 'Sign in', exact: true });
  if (!isApp(safeUrl(page)) || !(await spaSignIn.isVisible().catch(() => false))) {
    await page.goto(base + '/');
  }
  // A mark on the current document: the app is "back" only once a new document without it is loaded.
  await page.evaluate(() => ((window as unknown as { __e2eBeforeSignIn?: boolean }).__e2eBeforeSignIn = true));
  await spaSignIn.click();

  // Either the provider's form, or (with a live provider session) a chain of redirects straight back.
  const form = page.locator('form[action*="/interaction/"]');
  const deadline = Date.now() + 30_000;
  let filled = false;
  for (;;) {
    if (Date.now() > deadline) {
      const body = await page.locator('body').innerText().catch(() => '');
      throw new Error(`signing in as ${login} did not lead back to ${base}/ (now at ${safeUrl(page)}):\n${body.slice(0, 500)}`);
    }
    const href = safeUrl(page);
    if (!filled && !href.startsWith(base + '/') && (await form.isVisible().catch(() => false))) {
      await form.locator('input[name="username"]').fill(login);
      await form.locator('input[name="password"]').fill(password);
      await form.getByRole('button', { name: 'Sign in', exact: true }).click();
      filled = true;
    } else if (isApp(href)) {
      const fresh = await page
        .evaluate(() => !(window as unknown as { __e2eBeforeSignIn?: boolean }).__e2eBeforeSignIn)
        .catch(() => false); // "execution context was destroyed": still navigating
      if (fresh) break;
    }
    await page.waitForTimeout(100);
  }
  await page.waitForLoadState('load');
  await page.locator('#main h1').first().waitFor({ state: 'visible' });
}

/* ------------------------------------------------------------------------------------------------ */
/* Accessibility                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

let axeSource: string | undefined;
async function loadAxe(): Promise<string> {
  if (!axeSource) {
    const require = createRequire(import.meta.url);
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  }
  return axeSource;
}

export interface AxeNode {
  target: string[];
  html: string;
  failureSummary?: string;
}
export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

export interface A11yOptions {
  /** Only check inside this CSS selector (e.g. an open dialog). Default: the whole document. */
  include?: string;
  /** axe rule ids to leave out, each needing a reason in the calling test. */
  disableRules?: string[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules plus best practices) on the page as it is now and throws
 * a readable list when any violation is `serious` or `critical`. Returns every violation (minor and
 * moderate ones included) for callers that want to look.
 *
 * How axe gets in: the BFF's Content-Security-Policy forbids inline scripts, so `page.addScriptTag({content})`
 * (an inline `<script>`) would be refused, and a `bypassCSP` context would check a page that is no longer
 * the one people get. `page.evaluate(source)` runs the script through the DevTools protocol
 * (`Runtime.evaluate`), which CSP does not govern, so the page under test keeps its real policy and the
 * check itself causes no CSP violation in the console.
 */
export async function checkA11y(page: Page, label: string, options: A11yOptions = {}): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!hasAxe) await page.evaluate(await loadAxe());
  const violations = (await page.evaluate(
    async ({ include, disableRules }) => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } }).axe;
      const rules = Object.fromEntries((disableRules ?? []).map((id: string) => [id, { enabled: false }]));
      const result = await axe.run(include ? { include: [include] } : document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        rules,
        resultTypes: ['violations'],
      });
      return result.violations;
    },
    { include: options.include, disableRules: options.disableRules },
  )) as AxeViolation[];

  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (blocking.length > 0) {
    const lines = blocking.flatMap((v) => [
      `• [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`,
      ...v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}  ${n.html.slice(0, 160)}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, '\n      ')}` : ''}`),
      ...(v.nodes.length > 5 ? [`    … and ${v.nodes.length - 5} more`] : []),
    ]);
    throw new Error(`Accessibility check "${label}" at ${safeUrl(page)} found ${blocking.length} serious/critical violation(s):\n${lines.join('\n')}`);
  }
  return violations;
}
