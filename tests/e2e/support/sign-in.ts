/**
 * Signing in through the OpenID provider's real login form, as a person does.
 */
import type { Page } from 'playwright-core';

import { pageUrl } from './pages.js';

/**
 * Signs in like a person: opens the SPA's start page (unless the page already shows the SPA's "Sign in"
 * button), clicks "Sign in", fills the provider's real login form (`username`, `password`, "Sign in") and
 * waits until the browser is back under `baseUrl` with the SPA rendered (an `h1` in `#main`). When the
 * provider still has a login session, its form is skipped, as in a real browser.
 *
 * `baseUrl` is the BFF's origin plus base path, e.g. `stack.baseUrl` (`http://127.0.0.1:1234/signup`).
 */
export async function signInThroughProvider(
  page: Page,
  baseUrl: string,
  login: string,
  password: string,
): Promise<void> {
  const base = baseUrl.replace(/\/+$/, '');
  const authPrefix = new URL(base + '/').pathname + 'auth/';
  const isApp = (href: string) => href.startsWith(base + '/') && !new URL(href).pathname.startsWith(authPrefix);
  const spaSignIn = page.locator('#main').getByRole('button', { name: 'Sign in', exact: true });
  if (!isApp(pageUrl(page)) || !(await spaSignIn.isVisible().catch(() => false))) {
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
      const body = await page
        .locator('body')
        .innerText()
        .catch(() => '');
      throw new Error(
        `signing in as ${login} did not lead back to ${base}/ (now at ${pageUrl(page)}):\n${body.slice(0, 500)}`,
      );
    }
    const href = pageUrl(page);
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
