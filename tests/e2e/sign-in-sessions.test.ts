/**
 * "Where you are signed in" on the account page, in real Chromium against the real stack: Frank signs in
 * from two browsers (two contexts: two cookie jars), each lists both with "This device" on its own; from
 * the laptop he signs the other one out after a confirmation, and that browser is signed out at once (its
 * next request is refused, its page sends him to sign in). Then "Sign out everywhere else" and the
 * "Sign out my other sessions" box of the password form do the same for every other browser. Every state
 * (the list, the open confirmation, the notices) is checked with axe in the light and dark colour schemes,
 * on a desktop and a 375 px phone.
 */
import { accounts } from '../support/oidc-provider.js';
import { useStack } from '../support/stack.js';
import { checkA11yInEveryVariant } from './support/a11y.js';
import { withArtifacts } from './support/artifacts.js';
import { eventually, expectText, isFocused } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { appErrors, newPage, signedOutProbe, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const FRANK_PASSWORD = 'frank-e2e-password-1234';
const FRANK_NEW_PASSWORD = 'frank-e2e-password-5678';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: false }, startE2eStack);

const opened: Page[] = [];
async function openPage(): Promise<Page> {
  const page = await newPage(browser());
  opened.push(page);
  return page;
}

const main = (page: Page) => page.locator('#main');
const section = (page: Page) => main(page).getByRole('region', { name: 'Where you are signed in' });
const rows = (page: Page) => section(page).locator('li.sign-in-session');

/** The status of `GET /api/me`, asked from the page itself: whether that browser is still signed in. */
function meStatus(page: Page): Promise<number> {
  return page.evaluate(async () => (await fetch('api/me', { headers: { Accept: 'application/json' } })).status);
}

/** A browser of Frank's, signed in through the provider's form and on his account page. */
async function frankBrowser(): Promise<Page> {
  const page = await openPage();
  await signInThroughProvider(page, stack().baseUrl, 'frank', accounts.frank.password);
  await page.waitForURL(`${stack().baseUrl}/account`);
  return page;
}

let laptop: Page;
let phone: Page;

beforeAll(async () => {
  // Frank's account, made through the API; that sign-in then ends, so only the browsers below remain.
  const api = await stack().signIn('frank');
  expect((await api.register(FRANK_PASSWORD)).status).toBe(201);
  expect((await api.call('POST', '/auth/logout')).status).toBe(200);
});

describe('when Frank is signed in from two browsers', () => {
  it('then each lists both, its own marked "This device", with when each started and was last seen', async () => {
    phone = await frankBrowser();
    laptop = await frankBrowser();
    await withArtifacts(laptop, undefined, async (page) => {
      await expectText(page.locator('#sign-in-sessions-heading'), 'Where you are signed in');
      await eventually(async () => expect(await rows(page).count()).toBe(2));
      const headings = await rows(page).locator('h3').allInnerTexts();
      expect(headings.map((h) => h.replace(/\s+/g, ' ').trim())).toEqual([
        'Chrome on Linux This device',
        'Chrome on Linux',
      ]);
      const times = await rows(page)
        .first()
        .locator('time')
        .evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
      expect(times).toHaveLength(2);
      for (const t of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT/);
      // Only the other browser has a "Sign out" of its own.
      expect(await rows(page).first().getByRole('button').count()).toBe(0);
      await rows(page)
        .nth(1)
        .getByRole('button', { name: /^Sign out Chrome on Linux, signed in/ })
        .waitFor();
      await section(page).getByRole('button', { name: 'Sign out everywhere else' }).waitFor();

      await checkA11yInEveryVariant(page, 'account page with two sign-in sessions');
    });
    await withArtifacts(phone, undefined, async (page) => {
      await page.reload();
      await eventually(async () => expect(await rows(page).count()).toBe(2));
      await expectText(rows(page).nth(1).locator('.badge'), 'This device');
    });
  });

  it('then signing the other one out asks first, and once confirmed that browser is signed out', async () => {
    await withArtifacts(laptop, undefined, async (page) => {
      await rows(page)
        .nth(1)
        .getByRole('button', { name: /^Sign out/ })
        .click();
      const dialog = page.getByRole('dialog', { name: 'Sign out this session?' });
      await dialog.waitFor();
      await expectText(
        dialog.locator('p').first(),
        /^Chrome on Linux \(signed in .+\) will be signed out of this service/,
      );
      await checkA11yInEveryVariant(page, 'sign-out confirmation');

      // Cancel first: nothing happens, focus goes back to the row's button.
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await eventually(async () => expect(await isFocused(rows(page).nth(1).getByRole('button'))).toBe(true));
      expect(await meStatus(phone)).toBe(200);

      await rows(page)
        .nth(1)
        .getByRole('button', { name: /^Sign out/ })
        .click();
      await dialog.getByRole('button', { name: 'Sign out', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });
      await expectText(section(page).getByRole('status'), 'Chrome on Linux was signed out.');
      await eventually(async () => expect(await rows(page).count()).toBe(1));
      await eventually(async () => expect(await isFocused(page.locator('#sign-in-sessions-heading'))).toBe(true));
      await checkA11yInEveryVariant(page, 'account page after signing a session out');
    });
    await withArtifacts(phone, undefined, async (page) => {
      expect(await meStatus(page)).toBe(401);
      // The page finds out at its next request and sends him to sign in.
      await page.reload();
      await expectText(main(page).locator('h1'), 'Your account for MLflow');
      await main(page).getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    });
    expect(await meStatus(laptop)).toBe(200);
  });

  it('then "Sign out everywhere else" signs out every other browser', async () => {
    phone = await frankBrowser();
    const tablet = await frankBrowser();
    await withArtifacts(laptop, undefined, async (page) => {
      await page.reload();
      await eventually(async () => expect(await rows(page).count()).toBe(3));
      await section(page).getByRole('button', { name: 'Sign out everywhere else' }).click();
      await expectText(section(page).getByRole('status'), '2 other sessions were signed out.');
      await eventually(async () => expect(await rows(page).count()).toBe(1));
      expect(await section(page).getByRole('button', { name: 'Sign out everywhere else' }).count()).toBe(0);
      await checkA11yInEveryVariant(page, 'account page signed in nowhere else');
    });
    expect(await meStatus(phone)).toBe(401);
    expect(await meStatus(tablet)).toBe(401);
    expect(await meStatus(laptop)).toBe(200);
  });

  it('then changing the password with "Sign out my other sessions" ticked signs out the other browser too', async () => {
    phone = await frankBrowser();
    await withArtifacts(laptop, undefined, async (page) => {
      await page.reload();
      await eventually(async () => expect(await rows(page).count()).toBe(2));
      await main(page).getByLabel('New password', { exact: true }).fill(FRANK_NEW_PASSWORD);
      await main(page).getByLabel('Confirm new password', { exact: true }).fill(FRANK_NEW_PASSWORD);
      await main(page).getByRole('checkbox', { name: 'Sign out my other sessions' }).check();
      await main(page).getByRole('button', { name: 'Change password' }).click();
      await expectText(
        main(page).locator('form .alert--success'),
        'Your password has been changed in MLflow. Your other sessions were signed out.',
      );
      await eventually(async () => expect(await rows(page).count()).toBe(1));
      expect(await main(page).getByRole('checkbox', { name: 'Sign out my other sessions' }).isChecked()).toBe(false);
      await checkA11yInEveryVariant(page, 'account page after a password change that signed out the others');
    });
    expect(await meStatus(phone)).toBe(401);
  });
});

describe('when all is done', () => {
  it('then no page threw an uncaught error or broke a Content-Security-Policy rule', () => {
    // Expected: the 401s of the browsers signed out from elsewhere, as failed loads.
    expect(opened.flatMap((page) => appErrors(page, stack(), signedOutProbe))).toEqual([]);
  });
});
