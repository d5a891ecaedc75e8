/**
 * Accessibility in real Chromium: axe-core (WCAG 2.x A/AA and best practices; serious and critical
 * violations fail) on every page of the SPA, in the light and the dark colour scheme, on a 375 px phone and
 * on a desktop; and the keyboard paths a person without a mouse depends on. The account page's ownership
 * states (another sign-in's account, claiming, an administrator's, disabled, email changed) need their own
 * set-up and are checked the same way in account-ownership.test.ts.
 *
 * One signed-in tab per person is reused for every variant: the viewport and the colour scheme are switched
 * on the page itself (`setViewportSize`, `emulateMedia`), which is what a person rotating a phone or
 * switching the system theme does, and saves signing in 4 × 6 times.
 */
import { accounts } from '../support/oidc-provider.js';
import { useStack } from '../support/stack.js';
import { checkA11y } from './support/a11y.js';
import { withArtifacts, withPage } from './support/artifacts.js';
import { describeFocus, eventually, expectText, isFocused } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { AXE_VARIANTS, DESKTOP, newPage, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: true }, startE2eStack);
/** Signed out. */
let visitor: Page;
/** Not eligible (carol). */
let outsider: Page;
/** Eligible, without an MLflow account (grace). */
let newcomer: Page;
/** Eligible, with an MLflow account (frank). */
let member: Page;

beforeAll(async () => {
  // frank's account exists before his browser signs in; grace never registers.
  const frank = await stack().signIn('frank');
  expect((await frank.register('frank-e2e-password-1234')).status).toBe(201);

  [visitor, outsider, newcomer, member] = await Promise.all([
    newPage(browser()),
    newPage(browser()),
    newPage(browser()),
    newPage(browser()),
  ]);
  await Promise.all([
    signInThroughProvider(outsider, stack().baseUrl, 'carol', accounts.carol.password),
    signInThroughProvider(newcomer, stack().baseUrl, 'grace', accounts.grace.password),
    signInThroughProvider(member, stack().baseUrl, 'frank', accounts.frank.password),
  ]);
});

interface PageUnderTest {
  name: string;
  page: () => Page;
  path: string;
  heading: string;
  /** Brings the page into the state to check, after it loaded. */
  prepare?: (page: Page) => Promise<void>;
  /** Undoes `prepare`, so that the next variant starts clean. */
  cleanUp?: (page: Page) => Promise<void>;
}

const PAGES: PageUnderTest[] = [
  { name: 'welcome page', page: () => visitor, path: '/', heading: 'Your account for MLflow' },
  { name: 'page-not-found page', page: () => visitor, path: '/no/such/page', heading: 'Page not found' },
  {
    name: 'not-eligible page',
    page: () => outsider,
    path: '/not-eligible',
    heading: 'You cannot create an MLflow account yet',
  },
  {
    name: 'register page with unmet requirements flagged',
    page: () => newcomer,
    path: '/register',
    heading: 'Create your MLflow account',
    // The state with the most on it: an unmet requirement, an error and an invalid checkbox.
    prepare: async (page) => {
      await page.locator('#main').getByLabel('Password', { exact: true }).fill('too-short');
      await page.locator('#main').getByRole('button', { name: 'Create account' }).click();
      await page.locator('#main').getByText('Your password does not meet all the requirements yet.').waitFor();
    },
  },
  { name: 'account page', page: () => member, path: '/account', heading: 'Your MLflow account' },
  {
    name: 'activity page',
    page: () => member,
    path: '/activity',
    heading: 'Activity',
    prepare: async (page) => {
      await page.locator('#main .activity-table tbody tr').first().waitFor();
    },
  },
  {
    name: 'activity page without entries',
    page: () => newcomer,
    path: '/activity',
    heading: 'Activity',
    prepare: async (page) => {
      await page.locator('#main').getByTestId('activity-empty').waitFor();
    },
  },
  {
    name: 'account page with the delete dialog open',
    page: () => member,
    path: '/account',
    heading: 'Your MLflow account',
    prepare: async (page) => {
      await page.locator('#main').getByRole('button', { name: 'Delete account…' }).click();
      await page.getByRole('dialog', { name: 'Delete your MLflow account?' }).waitFor();
      await page.getByRole('dialog').getByLabel('Type your email address to confirm').fill('frank@');
      // On a small screen the dialog is taller than the viewport: its last control must still be reachable.
      const cancel = page.getByRole('dialog').getByRole('button', { name: 'Cancel' });
      await cancel.scrollIntoViewIfNeeded();
      const box = await cancel.boundingBox();
      const viewport = page.viewportSize()!;
      expect(box && box.y >= 0 && box.y + box.height <= viewport.height).toBe(true);
    },
    cleanUp: async (page) => {
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
    },
  },
];

describe('when axe checks each page (light and dark, 375 px and desktop)', () => {
  const cases = PAGES.flatMap((p) => AXE_VARIANTS.map((v) => [p.name, v.name, p, v] as const));

  it.each(cases)(
    'then the %s, %s, has no serious or critical violation',
    async (_pageName, _variantName, target, variant) => {
      const page = target.page();
      await withArtifacts(page, undefined, async () => {
        await page.setViewportSize(variant.viewport);
        await page.emulateMedia({ colorScheme: variant.colorScheme });
        await page.goto(stack().baseUrl + target.path);
        await expectText(page.locator('#main h1'), target.heading);
        // The scheme really applies (the stylesheet switches its colours with prefers-color-scheme).
        expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(
          variant.colorScheme === 'dark',
        );
        // Nothing wider than a phone's screen.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
          variant.viewport.width,
        );
        await target.prepare?.(page);
        try {
          await checkA11y(page, `${target.name}, ${variant.name}`);
        } finally {
          await target.cleanUp?.(page);
        }
      });
    },
  );
});

describe('when a person uses only the keyboard', () => {
  it('then on the welcome page Tab reaches the skip link first, the skip link moves to the content, and Tab then reaches Sign in', () =>
    withPage(browser(), undefined, async (page) => {
      await page.goto(`${stack().baseUrl}/`);
      await expectText(page.locator('#main h1'), 'Your account for MLflow');

      await page.keyboard.press('Tab');
      const skip = page.getByRole('link', { name: 'Skip to main content' });
      expect(await describeFocus(page)).toBe('a "Skip to main content"');
      expect(await isFocused(skip)).toBe(true);
      // It shows itself when focused (it sits off-screen otherwise).
      const box = await skip.boundingBox();
      expect(box && box.y >= 0 && box.height > 0).toBe(true);

      await page.keyboard.press('Enter');
      await eventually(async () => expect(await isFocused(page.locator('#main h1'))).toBe(true));
      expect(page.url()).toBe(`${stack().baseUrl}/`);

      // From the content, Tab reaches the Sign in button (after the MLflow link in the introduction).
      const visited: string[] = [];
      const signIn = page.locator('#main').getByRole('button', { name: 'Sign in', exact: true });
      for (let i = 0; i < 6 && !(await isFocused(signIn)); i++) {
        await page.keyboard.press('Tab');
        visited.push(await describeFocus(page));
      }
      expect(visited).toContain('button "Sign in"');
      expect(visited.length).toBeLessThanOrEqual(3);

      // Enter on it starts signing in: the provider's login form.
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.origin === stack().oidc.issuer);
      await page.locator('input[name="username"]').waitFor();
    }));

  it('then the delete dialog keeps focus inside while open, and Escape closes it and gives focus back to "Delete account…"', () =>
    withArtifacts(member, undefined, async (page) => {
      await page.setViewportSize(DESKTOP);
      await page.emulateMedia({ colorScheme: 'light' });
      await page.goto(`${stack().baseUrl}/account`);
      await expectText(page.locator('#main h1'), 'Your MLflow account');

      const opener = page.locator('#main').getByRole('button', { name: 'Delete account…' });
      await opener.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Delete your MLflow account?' });
      await dialog.waitFor();
      const input = dialog.getByLabel('Type your email address to confirm');
      await eventually(async () => expect(await isFocused(input)).toBe(true));

      // Where focus is after each key: a control in the dialog, `body` (the browser's own UI: a modal
      // <dialog> lets Tab leave the page for the address bar, as the HTML standard allows, and headless
      // Chromium reports that as body), or — what must never happen — a control of the page behind it.
      const where = () =>
        page.evaluate(() => {
          const el = document.activeElement;
          if (!el || el === document.body || el === document.documentElement) return 'browser';
          return el.closest('dialog[open]') ? 'dialog' : `page behind the dialog: ${el.outerHTML.slice(0, 80)}`;
        });
      const forward: string[] = [];
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press('Tab');
        forward.push(await describeFocus(page));
        expect(await where()).toMatch(/^(dialog|browser)$/);
      }
      const backward: string[] = [];
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press('Shift+Tab');
        backward.push(await describeFocus(page));
        expect(await where()).toMatch(/^(dialog|browser)$/);
      }
      // Tab cycles through the dialog's controls: the field and Cancel (Delete is disabled until the email matches).
      const controls = (list: string[]) => new Set(list.filter((f) => f !== 'body'));
      const field = await input.evaluate((el) => `input#${el.id}`);
      expect(controls(forward)).toEqual(new Set([field, 'button "Cancel"']));
      expect(controls(backward)).toEqual(controls(forward));

      // With a matching email, Delete joins the cycle.
      await input.fill('frank@example.org');
      const enabled: string[] = [];
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press('Tab');
        enabled.push(await describeFocus(page));
        expect(await where()).toMatch(/^(dialog|browser)$/);
      }
      expect(enabled).toContain('button "Delete account"');

      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await eventually(async () => expect(await isFocused(opener)).toBe(true));
      expect(page.url()).toBe(`${stack().baseUrl}/account`);
    }));
});
