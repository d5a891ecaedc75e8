/**
 * Waiting for the page: jest's `expect` has no web-first matchers, so these retry until the page shows
 * what is expected, or give up after a timeout with the last failure.
 */
import type { Locator, Page } from 'playwright-core';

/**
 * Retries `assertion` (any code using jest's `expect`) until it stops throwing, then returns its value; after
 * `timeout` ms (default 10 s) rethrows its last error. For what the page shows after it reacts:
 * `await eventually(async () => expect(await main.locator('h1').innerText()).toBe('…'))`.
 */
export async function eventually<T>(
  assertion: () => T | Promise<T>,
  options: { timeout?: number; interval?: number } = {},
): Promise<T> {
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
export async function expectText(
  locator: Locator,
  expected: string | RegExp,
  options: { timeout?: number } = {},
): Promise<void> {
  await eventually(async () => {
    const text = (await locator.first().innerText({ timeout: 1_000 })).trim();
    if (typeof expected === 'string') expect(text).toBe(expected);
    else expect(text).toMatch(expected);
  }, options);
}

/** Waits until the locator's first element's text (innerText) contains `expected`. */
export async function expectTextContaining(
  locator: Locator,
  expected: string,
  options: { timeout?: number } = {},
): Promise<void> {
  await eventually(
    async () => expect(await locator.first().innerText({ timeout: 1_000 })).toContain(expected),
    options,
  );
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
