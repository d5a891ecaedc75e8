/**
 * Headless Chromium (Debian's, or `CHROMIUM_PATH`) for the browser tests: {@link useBrowser} gives a test
 * file one browser, launched in `beforeAll` and closed, with every page it opened, in `afterAll`.
 */
import { existsSync } from 'node:fs';

import { chromium, type Browser } from 'playwright-core';

import { useForAll } from '../../support/lifecycle.js';

export type { Browser } from 'playwright-core';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Starts headless Chromium. A missing binary is an error, never a reason to skip: these tests are the
 * only proof that the SPA works in a browser.
 */
async function launchBrowser(): Promise<Browser> {
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

/**
 * One browser for the enclosing `describe` block (or the file), launched in `beforeAll` and closed in
 * `afterAll`; returns a getter. Declare it before `useStack(…)`: jest runs `afterAll` hooks in the order they
 * were declared, so the browser (and its pages) is gone before the stack stops.
 */
export function useBrowser(): () => Browser {
  return useForAll('browser', launchBrowser, (browser) => browser.close());
}
