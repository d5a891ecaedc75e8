/**
 * Step-up in real Chromium against the real stack: changing the password and deleting the account need a
 * recent sign-in at the provider. The provider here puts `auth_time` in an ID token only when asked
 * (`providerSendsAuthTime: false`), so every ordinary sign-in counts as not recent until the person signs
 * in again through "Sign in again" (the BFF then asks with `max_age=0` and `prompt=login`, and the provider
 * shows its login form although its own session is alive).
 *
 * - alice changes her password after a step-up; MLflow itself confirms the new password;
 * - frank types his email in the delete dialog, steps up, and deletes with one click once back;
 * - axe checks the account page with the notices and with "You signed in again", light and dark;
 * - when the page believes the sign-in is recent but the BFF does not (its window ran out meanwhile), the
 *   refused submit turns into the same notice, as an alert, and the step-up still finishes the job.
 */
import { mlflowUser, signInStatus } from '../support/mlflow-direct.js';
import { accounts } from '../support/oidc-provider.js';
import { TEST_VO, useStack } from '../support/stack.js';
import { checkA11y } from './support/a11y.js';
import { stepsOn, withArtifacts, withPage } from './support/artifacts.js';
import { eventually, expectText, expectTextContaining, isFocused } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { appErrors, AXE_VARIANTS, newPage, signedOutProbe, type Locator, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const SECRET_PATH = '/services/mlflow/credentials';
const ALICE = 'alice@example.org';
const FRANK = 'frank@example.org';
const GRACE = 'grace@example.org';
const FIRST = 'alice-first-password-1234';
const SECOND = 'alice-second-password-5678';
const THIRD = 'alice-third-password-9012';

const PASSWORD_NOTICE = "For your security, confirm it's you before changing your password.";
const DELETE_NOTICE = "For your security, confirm it's you before deleting your account.";
const WELCOME_BACK = 'You signed in again. You can finish now.';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: true, providerSendsAuthTime: false }, startE2eStack);

beforeAll(async () => {
  // Registering needs no recent sign-in: the accounts exist before the browsers sign in.
  for (const [login, password] of [
    ['alice', FIRST],
    ['frank', 'frank-e2e-password-1234'],
    ['grace', 'grace-e2e-password-1234'],
  ] as const) {
    const session = await stack().signIn(login);
    expect((await session.register(password)).status).toBe(201);
  }
});

const main = (page: Page) => page.locator('#main');
const passwordSection = (page: Page) => main(page).getByRole('region', { name: 'Change password' });
const deleteDialog = (page: Page) => page.getByRole('dialog', { name: 'Delete your MLflow account?' });

/** What the BFF says about the page's session (`GET /api/me`'s `reauthentication`), asked from the page. */
async function reauthenticationOf(
  page: Page,
): Promise<{ max_age_seconds: number; recent_until: string | null } | null> {
  return page.evaluate(
    async () => (await (await fetch('api/me', { headers: { Accept: 'application/json' } })).json()).reauthentication,
  );
}

/** The URLs of the page's navigation requests (redirects included), recorded from now on. */
function recordNavigations(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) urls.push(request.url());
  });
  return urls;
}

/**
 * The step-up as a person does it: "Sign in again" in `scope`, the provider's login form (which must show
 * although the provider's session is alive: `prompt=login`), then back on the account page with the
 * `resume` parameter already gone from the address.
 */
async function signInAgain(page: Page, scope: Locator, login: keyof typeof accounts): Promise<void> {
  await scope.getByRole('button', { name: 'Sign in again' }).click();
  await page.waitForURL((url) => url.origin === stack().oidc.issuer && url.pathname.startsWith('/interaction/'));
  const form = page.locator('form[action*="/interaction/"]');
  await form.locator('input[name="username"]').fill(login);
  await form.locator('input[name="password"]').fill(accounts[login].password);
  await form.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${stack().baseUrl}/account`);
  await expectText(main(page).locator('h1'), 'Your MLflow account');
}

describe('when alice, signed in long ago as far as the BFF knows, changes her password', () => {
  let page: Page;
  let navigations: string[];
  beforeAll(async () => {
    page = await newPage(browser());
  });
  const step = stepsOn(() => page);

  it(
    'then the account page asks her to sign in again before she can type a new password',
    step(async () => {
      await signInThroughProvider(page, stack().baseUrl, 'alice', accounts.alice.password);
      expect(page.url()).toBe(`${stack().baseUrl}/account`);
      // The provider sent no auth_time: the BFF counts the sign-in as not recent.
      expect(await reauthenticationOf(page)).toEqual({ max_age_seconds: 600, recent_until: null });

      const section = passwordSection(page);
      await expectTextContaining(section, PASSWORD_NOTICE);
      await section.getByRole('button', { name: 'Sign in again' }).waitFor();
      expect(await section.getByLabel('New password', { exact: true }).count()).toBe(0);
      expect(await section.getByRole('button', { name: 'Change password' }).count()).toBe(0);
    }),
  );

  it(
    'then "Sign in again" takes her through the provider\'s login form and back to the password form, which says she can finish and has focus',
    step(async () => {
      navigations = recordNavigations(page);
      await signInAgain(page, passwordSection(page), 'alice');

      // Through the BFF's step-up, and back to the page with resume=change-password, which the page then dropped.
      const login = navigations.find((url) => url.startsWith(`${stack().baseUrl}/auth/login`));
      expect(login && Object.fromEntries(new URL(login).searchParams)).toEqual({
        reauth: '1',
        returnTo: '/signup/account?resume=change-password',
      });
      expect(navigations).toContain(`${stack().baseUrl}/account?resume=change-password`);
      expect(page.url()).toBe(`${stack().baseUrl}/account`);

      const section = passwordSection(page);
      await expectText(section.getByRole('status'), WELCOME_BACK);
      const newPassword = section.getByLabel('New password', { exact: true });
      await eventually(async () => expect(await isFocused(newPassword)).toBe(true));
      expect(await section.getByText(PASSWORD_NOTICE).count()).toBe(0);
      const recentUntil = (await reauthenticationOf(page))?.recent_until;
      expect(Date.parse(recentUntil ?? '') - Date.now()).toBeGreaterThan(500_000);
    }),
  );

  it(
    'then typing the new password and submitting changes it: MLflow accepts the new one and refuses the old one',
    step(async () => {
      const section = passwordSection(page);
      await section.getByLabel('New password', { exact: true }).fill(SECOND);
      await section.getByLabel('Confirm new password', { exact: true }).fill(SECOND);
      await section.getByRole('button', { name: 'Change password' }).click();

      await section.getByText('Your password has been changed in MLflow and in Vault.').waitFor();
      expect(await signInStatus(stack().mlflow, ALICE, SECOND)).toBe(200);
      expect(await signInStatus(stack().mlflow, ALICE, FIRST)).toBe(401);
      expect(stack().papi!.secretFor(accounts.alice.sub, TEST_VO, SECRET_PATH)).toEqual({
        username: ALICE,
        password: SECOND,
      });
      // Passwords are never kept for the way back.
      expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain(SECOND);
    }),
  );

  it(
    'then the page threw no uncaught errors and broke no Content-Security-Policy rule',
    step(async () => {
      // Expected: Chromium logs the 401 of GET /api/me on the start page, before signing in, as a failed load.
      expect(appErrors(page, stack(), signedOutProbe)).toEqual([]);
    }),
  );
});

describe('when frank, signed in long ago as far as the BFF knows, deletes his account', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage(browser());
  });
  const step = stepsOn(() => page);

  it(
    'then the delete dialog asks him to sign in again, and deleting stays impossible even with his email typed',
    step(async () => {
      await signInThroughProvider(page, stack().baseUrl, 'frank', accounts.frank.password);
      await main(page).getByRole('button', { name: 'Delete account…' }).click();
      const dialog = deleteDialog(page);
      await dialog.waitFor();
      await expectTextContaining(dialog, DELETE_NOTICE);

      await dialog.getByLabel('Type your email address to confirm').fill(FRANK);
      const remove = dialog.getByRole('button', { name: 'Delete account', exact: true });
      await eventually(async () => expect(await remove.isDisabled()).toBe(true));
      await dialog.getByLabel('Type your email address to confirm').press('Enter');
      await dialog.waitFor();
      expect(await mlflowUser(stack().mlflow, FRANK)).not.toBeNull();
    }),
  );

  it(
    "then, back from the provider's login form, the dialog is open again with his email still typed, says he can finish, and one click deletes the account",
    step(async () => {
      await signInAgain(page, deleteDialog(page), 'frank');

      const dialog = deleteDialog(page);
      await dialog.waitFor();
      expect(await dialog.getByLabel('Type your email address to confirm').inputValue()).toBe(FRANK);
      await expectText(dialog.getByRole('status'), WELCOME_BACK);
      const remove = dialog.getByRole('button', { name: 'Delete account', exact: true });
      await eventually(async () => expect(await isFocused(remove)).toBe(true));
      // The kept email was used up.
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

      await remove.click();
      await page.waitForURL(`${stack().baseUrl}/register`);
      await main(page).getByText('Your MLflow account has been deleted.').waitFor();
      expect(await mlflowUser(stack().mlflow, FRANK)).toBeNull();
      expect(stack().papi!.secretFor(accounts.frank.sub, TEST_VO, SECRET_PATH)).toBeUndefined();
    }),
  );
});

describe('when axe checks the step-up states of the account page (light and dark, desktop and 375 px)', () => {
  /** grace, whose sign-in stays not recent: she never steps up in this tab. */
  let stale: Page;
  /** grace again, in another browser, after a step-up. */
  let fresh: Page;

  beforeAll(async () => {
    [stale, fresh] = await Promise.all([newPage(browser()), newPage(browser())]);
    await signInThroughProvider(stale, stack().baseUrl, 'grace', accounts.grace.password);
    await signInThroughProvider(fresh, stack().baseUrl, 'grace', accounts.grace.password);
    await signInAgain(fresh, passwordSection(fresh), 'grace');
  });

  async function open(page: Page, variant: (typeof AXE_VARIANTS)[number], path: string): Promise<void> {
    await page.setViewportSize(variant.viewport);
    await page.emulateMedia({ colorScheme: variant.colorScheme });
    await page.goto(stack().baseUrl + path);
    await expectText(main(page).locator('h1'), 'Your MLflow account');
    expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(
      variant.colorScheme === 'dark',
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(variant.viewport.width);
  }

  it.each(AXE_VARIANTS.map((v) => [v.name, v] as const))(
    "then the page with the password form's notice, %s, has no serious or critical violation",
    (_name, variant) =>
      withArtifacts(stale, undefined, async (page) => {
        await open(page, variant, '/account');
        await expectTextContaining(passwordSection(page), PASSWORD_NOTICE);
        await checkA11y(page, `account page with the step-up notice, ${variant.name}`);
      }),
  );

  it.each(AXE_VARIANTS.map((v) => [v.name, v] as const))(
    'then the delete dialog with its notice, %s, has no serious or critical violation',
    (_name, variant) =>
      withArtifacts(stale, undefined, async (page) => {
        await open(page, variant, '/account');
        await main(page).getByRole('button', { name: 'Delete account…' }).click();
        await expectTextContaining(deleteDialog(page), DELETE_NOTICE);
        await deleteDialog(page).getByLabel('Type your email address to confirm').fill('grace@');
        try {
          await checkA11y(page, `delete dialog with the step-up notice, ${variant.name}`);
        } finally {
          await page.keyboard.press('Escape');
          await deleteDialog(page).waitFor({ state: 'hidden' });
        }
      }),
  );

  it.each(AXE_VARIANTS.map((v) => [v.name, v] as const))(
    'then the password form saying "You signed in again", %s, has no serious or critical violation',
    (_name, variant) =>
      withArtifacts(fresh, undefined, async (page) => {
        // What the page shows on the way back from the provider (the step-up happened in beforeAll).
        await open(page, variant, '/account?resume=change-password');
        await expectText(passwordSection(page).getByRole('status'), WELCOME_BACK);
        await checkA11y(page, `account page with "You signed in again", ${variant.name}`);
      }),
  );

  it.each(AXE_VARIANTS.map((v) => [v.name, v] as const))(
    'then the delete dialog saying "You signed in again", %s, has no serious or critical violation',
    (_name, variant) =>
      withArtifacts(fresh, undefined, async (page) => {
        await open(page, variant, '/account?resume=delete-account');
        await expectText(deleteDialog(page).getByRole('status'), WELCOME_BACK);
        try {
          await checkA11y(page, `delete dialog with "You signed in again", ${variant.name}`);
        } finally {
          await page.keyboard.press('Escape');
          await deleteDialog(page).waitFor({ state: 'hidden' });
        }
      }),
  );
});

describe('when the BFF refuses a change the page thought allowed (the recent sign-in ran out meanwhile)', () => {
  it('then the page shows the notice as an alert, drops the typed passwords, and the step-up still lets alice finish', () =>
    withPage(browser(), undefined, async (page) => {
      // The page is told the sign-in is recent for ten more minutes; the BFF knows better.
      const pretendRecent = async (route: import('playwright-core').Route) => {
        const response = await route.fetch();
        const me = await response.json();
        await route.fulfill({
          response,
          json: {
            ...me,
            reauthentication: { max_age_seconds: 600, recent_until: new Date(Date.now() + 600_000).toISOString() },
          },
        });
      };
      await page.route((url) => url.pathname === '/signup/api/me', pretendRecent);
      await signInThroughProvider(page, stack().baseUrl, 'alice', accounts.alice.password);

      const section = passwordSection(page);
      await section.getByLabel('New password', { exact: true }).fill(THIRD);
      await section.getByLabel('Confirm new password', { exact: true }).fill(THIRD);
      await section.getByRole('button', { name: 'Change password' }).click();

      const alert = section.getByRole('alert');
      await expectTextContaining(alert, 'Your password was not changed');
      await expectTextContaining(alert, PASSWORD_NOTICE);
      const again = alert.getByRole('button', { name: 'Sign in again' });
      await eventually(async () => expect(await isFocused(again)).toBe(true));
      expect(await section.getByLabel('New password', { exact: true }).count()).toBe(0);
      expect(await page.content()).not.toContain(THIRD);
      expect(await signInStatus(stack().mlflow, ALICE, SECOND)).toBe(200);

      await page.unroute((url) => url.pathname === '/signup/api/me', pretendRecent);
      await signInAgain(page, section, 'alice');
      await expectText(section.getByRole('status'), WELCOME_BACK);
      await section.getByLabel('New password', { exact: true }).fill(THIRD);
      await section.getByLabel('Confirm new password', { exact: true }).fill(THIRD);
      await section.getByRole('button', { name: 'Change password' }).click();
      await section.getByText('Your password has been changed in MLflow and in Vault.').waitFor();
      expect(await signInStatus(stack().mlflow, ALICE, THIRD)).toBe(200);
    }));
});

describe('when a person with a recent sign-in opens the account page', () => {
  it('then no notice stands in the way: the password fields and the delete button work as before', () =>
    withPage(browser(), undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'grace', accounts.grace.password);
      await signInAgain(page, passwordSection(page), 'grace');
      await page.reload();
      await expectText(main(page).locator('h1'), 'Your MLflow account');

      const section = passwordSection(page);
      await section.getByLabel('New password', { exact: true }).waitFor();
      expect(await main(page).getByText(PASSWORD_NOTICE).count()).toBe(0);
      expect(await section.getByRole('status').innerText()).toBe('');
      await main(page).getByRole('button', { name: 'Delete account…' }).click();
      await deleteDialog(page).getByLabel('Type your email address to confirm').fill(GRACE);
      await eventually(async () =>
        expect(await deleteDialog(page).getByRole('button', { name: 'Delete account', exact: true }).isEnabled()).toBe(
          true,
        ),
      );
      expect(await deleteDialog(page).getByText(DELETE_NOTICE).count()).toBe(0);
    }));
});
