/**
 * What a failing browser test leaves behind: a screenshot, the page's console log, its HTML and the error,
 * under `tests/e2e/artifacts/<test name>/` (git-ignored). {@link withPage} gives a test a fresh page;
 * {@link withArtifacts} wraps a step on a page that lives across several `it` blocks (a journey), and
 * {@link stepsOn} makes such steps.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Browser, Page } from 'playwright-core';

import { closePage, formatLog, newPage, pageLog, pageUrl, type PageOptions } from './pages.js';

/** `tests/e2e/artifacts` (git-ignored). */
const ARTIFACTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/**
 * A directory for a test's artefacts: its name as lowercase words joined by `-`; a name longer than 120
 * characters is cut to 111 and ends with a hash of the whole name, so that long names sharing a beginning
 * (a describe and `it.each` rows) never share a directory.
 */
function artifactDirFor(testName: string): string {
  const slug =
    testName
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, ' ')
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, '-') || 'unnamed-test';
  const short =
    slug.length <= 120
      ? slug
      : `${slug.slice(0, 111).replace(/-+$/, '')}-${createHash('sha256').update(testName).digest('hex').slice(0, 8)}`;
  return path.join(ARTIFACTS_DIR, short);
}

/** The name jest gives the running test (describe + it), or `undefined` outside a test. */
function currentTestName(): string | undefined {
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
async function saveArtifacts(page: Page, testName: string, error?: unknown): Promise<string> {
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
  const header = `test: ${testName}\nurl: ${pageUrl(page)}\n${notes.map((n) => `note: ${n}\n`).join('')}\n`;
  await writeFile(path.join(dir, 'console.log'), header + formatLog(pageLog(page)));
  if (error !== undefined) {
    await writeFile(
      path.join(dir, 'error.txt'),
      error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(error),
    );
  }
  return dir;
}

/**
 * Runs `fn` on an existing page; when it throws, saves the artefacts and rethrows with their path
 * appended to the message; when it passes, removes artefacts an earlier run of the same test left. The
 * page stays open. `testName` defaults to jest's current test name.
 */
export async function withArtifacts<T>(
  page: Page,
  testName: string | undefined,
  fn: (page: Page) => Promise<T>,
): Promise<T> {
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
    throw new Error(JSON.stringify(err) + note, { cause: err });
  }
}

/**
 * The steps of a journey on one shared page: with `const step = stepsOn(() => page)`, each
 * `it('then …', step(async () => { … }))` runs through {@link withArtifacts}, leaving artefacts behind when it
 * fails. `page` is a getter because the page is usually opened in `beforeAll`, after the steps are declared.
 */
export function stepsOn(page: () => Page): (fn: () => Promise<void>) => () => Promise<void> {
  return (fn) => () => withArtifacts(page(), undefined, fn);
}

/**
 * A fresh page (own context, see {@link newPage}) for the duration of `fn`, closed afterwards. A failure
 * leaves a screenshot and the console log in `tests/e2e/artifacts/<test name>/` and names that path in the
 * error. `testName` defaults to jest's current test name.
 */
export async function withPage<T>(
  browser: Browser,
  testName: string | undefined,
  fn: (page: Page) => Promise<T>,
  options: PageOptions = {},
): Promise<T> {
  const page = await newPage(browser, options);
  try {
    return await withArtifacts(page, testName, fn);
  } finally {
    await closePage(page);
  }
}
