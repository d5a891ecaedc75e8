/**
 * One person's whole journey in real Chromium: the welcome page, the provider's real login form, choosing a
 * password, the account page, changing the password, deleting the account and signing out. Every claim the
 * page makes about MLflow is checked against MLflow itself (Basic auth, as the person's MLflow client would),
 * not against the BFF.
 *
 * The steps share one page (one browser tab) and run in order; each leaves a screenshot and the console log
 * in tests/e2e/artifacts/<test name>/ when it fails.
 */
import { accounts } from '../support/oidc-provider.js';
import { mlflowUser, signInStatus } from '../support/mlflow-direct.js';
import { TEST_VO, useStack } from '../support/stack.js';
import { stepsOn, withPage } from './support/artifacts.js';
import { eventually, expectText, expectTextContaining, isFocused } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { appErrors, newPage, signedOutProbe, type Locator, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const SECRET_PATH = '/services/mlflow/credentials';
const EMAIL = 'alice@example.org';
const FIRST = 'first-e2e-password-1234';
const SECOND = 'second-e2e-password-5678';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: true }, startE2eStack);
let page: Page;

beforeAll(async () => {
  page = await newPage(browser());
});

/** Runs one step on the shared page, leaving artefacts behind when it fails. */
const step = stepsOn(() => page);

const main = () => page.locator('#main');
const requirement = (id: string) => main().locator(`[data-requirement="${id}"]`);
const expectAttribute = (locator: Locator, name: string, value: string) =>
  eventually(async () => expect(await locator.getAttribute(name)).toBe(value));

describe('when alice creates, uses, changes and deletes her MLflow account in the browser', () => {
  it(
    'then the welcome page sends her to the provider login form and she lands back on the register page showing her email',
    step(async () => {
      await page.goto(`${stack().baseUrl}/`);
      await expectText(main().locator('h1'), 'Your account for MLflow');
      expect(await page.title()).toBe('Sign in · MLflow account');

      await main().getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL((url) => url.origin === stack().oidc.issuer && url.pathname.startsWith('/interaction/'));
      const form = page.locator('form[action*="/interaction/"]');
      await form.locator('input[name="username"]').fill('alice');
      await form.locator('input[name="password"]').fill(accounts.alice.password);
      await form.getByRole('button', { name: 'Sign in', exact: true }).click();

      await page.waitForURL(`${stack().baseUrl}/register`);
      await expectText(main().locator('h1'), 'Create your MLflow account');
      await expectText(main().getByTestId('username'), EMAIL);
      await expectTextContaining(page.locator('header'), EMAIL);
      expect(await mlflowUser(stack().mlflow, EMAIL)).toBeNull();
    }),
  );

  it(
    'then the password policy is shown live and the form refuses to submit while it is unmet',
    step(async () => {
      const password = main().getByLabel('Password', { exact: true });
      const confirmation = main().getByLabel('Confirm password', { exact: true });
      const submit = main().getByRole('button', { name: 'Create account' });

      // Nothing typed: the length and the other rules are not met.
      await expectAttribute(requirement('min_length'), 'data-met', 'false');
      await expectTextContaining(requirement('min_length'), 'At least 12 characters (not met)');

      await password.fill('short');
      await expectAttribute(requirement('min_length'), 'data-met', 'false');
      await expectAttribute(requirement('not_email'), 'data-met', 'true');

      // The email address itself is refused, whatever its case.
      await password.fill(EMAIL.toUpperCase());
      await expectAttribute(requirement('min_length'), 'data-met', 'true');
      await expectAttribute(requirement('not_email'), 'data-met', 'false');

      // "Show" reveals what was typed, and says so to screen readers.
      const show = main().getByRole('button', { name: 'Show password', exact: true });
      expect(await show.getAttribute('aria-pressed')).toBe('false');
      await show.click();
      expect(await password.getAttribute('type')).toBe('text');
      expect(await show.getAttribute('aria-pressed')).toBe('true');
      await show.click();
      expect(await password.getAttribute('type')).toBe('password');

      await password.fill(FIRST);
      await confirmation.fill(FIRST.slice(0, -1));
      await expectAttribute(requirement('not_email'), 'data-met', 'true');
      await expectAttribute(requirement('confirmation_matches'), 'data-met', 'false');
      await expectTextContaining(requirement('confirmation_matches'), 'Both passwords match (not met)');

      // Submitting now creates nothing: the page says why and keeps her here.
      await main().getByRole('checkbox').check();
      await submit.click();
      await main().getByText('Your password does not meet all the requirements yet.').waitFor();
      await eventually(async () => expect(await isFocused(confirmation)).toBe(true));
      expect(page.url()).toBe(`${stack().baseUrl}/register`);
      expect(await mlflowUser(stack().mlflow, EMAIL)).toBeNull();

      await confirmation.fill(FIRST);
      for (const id of ['min_length', 'max_length', 'not_email', 'confirmation_matches']) {
        await expectAttribute(requirement(id), 'data-met', 'true');
      }
      await main().getByText('Your password does not meet all the requirements yet.').waitFor({ state: 'detached' });
    }),
  );

  it(
    'then without accepting the privacy policy and terms of use nothing is created, and the links point to the configured pages',
    step(async () => {
      const checkbox = main().getByRole('checkbox');
      await checkbox.uncheck();
      await expectAttribute(
        main().getByRole('link', { name: /privacy policy/ }),
        'href',
        'https://example.org/privacy',
      );
      await expectAttribute(main().getByRole('link', { name: /terms of use/ }), 'href', 'https://example.org/terms');

      await main().getByRole('button', { name: 'Create account' }).click();
      await main().getByText('Accept the privacy policy and terms of use to create your account.').waitFor();
      await eventually(async () => expect(await isFocused(checkbox)).toBe(true));
      await expectAttribute(checkbox, 'aria-invalid', 'true');
      expect(await mlflowUser(stack().mlflow, EMAIL)).toBeNull();
    }),
  );

  it(
    'then accepting and submitting creates the account: the account page shows her username and the Vault status in words, and MLflow accepts the password',
    step(async () => {
      await main().getByRole('checkbox').check();
      await main().getByRole('button', { name: 'Create account' }).click();

      await page.waitForURL(`${stack().baseUrl}/account`);
      await expectText(main().locator('h1'), 'Your MLflow account');
      await main().getByText('Your MLflow account is ready.').waitFor();
      // The new page's heading takes focus, so a screen reader announces where she is.
      await eventually(async () => expect(await isFocused(main().locator('h1'))).toBe(true));
      expect(await page.title()).toBe('Your account · MLflow account');
      await expectText(main().getByTestId('username'), EMAIL);
      await expectTextContaining(main().locator('.vault-status'), 'Stored and up to date');
      await expectTextContaining(
        main().locator('.vault-status'),
        'Vault holds a copy of these credentials that matches your MLflow password.',
      );

      expect(await signInStatus(stack().mlflow, EMAIL, FIRST)).toBe(200);
      expect(await mlflowUser(stack().mlflow, EMAIL)).toMatchObject({ username: EMAIL, is_admin: false });
      expect(stack().papi!.secretFor(accounts.alice.sub, TEST_VO, SECRET_PATH)).toEqual({
        username: EMAIL,
        password: FIRST,
      });
    }),
  );

  it(
    'then "How to use these credentials" shows MLFLOW_TRACKING_URI and MLFLOW_TRACKING_USERNAME and the page never shows the password',
    step(async () => {
      const usage = main().getByRole('region', { name: 'How to use these credentials' });
      await usage.waitFor();
      const text = await usage.innerText();
      expect(text).toContain(`export MLFLOW_TRACKING_URI=${stack().mlflow.url}`);
      expect(text).toContain(`export MLFLOW_TRACKING_USERNAME=${EMAIL}`);
      expect(text).toContain('export MLFLOW_TRACKING_PASSWORD=<the password you chose>');

      // Not in the text, not in the markup, not in any field's value.
      expect(await page.locator('body').innerText()).not.toContain(FIRST);
      expect(await page.content()).not.toContain(FIRST);
      const values = await page
        .locator('input')
        .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
      expect(values).not.toContain(FIRST);

      // "Copy" puts the snippet on the clipboard, or, where the browser refuses, selects it and says how to copy.
      await usage.getByRole('button', { name: 'Copy Shell' }).click();
      await eventually(async () =>
        expect(await usage.locator('.code-block__status').first().innerText()).toMatch(
          /Copied to the clipboard\.|press Ctrl\+C/,
        ),
      );
    }),
  );

  it(
    'then changing the password through the page makes the old one fail and the new one work in MLflow',
    step(async () => {
      const form = main().getByRole('region', { name: 'Change password' });
      await form.getByLabel('New password', { exact: true }).fill(SECOND);
      await form.getByLabel('Confirm new password', { exact: true }).fill(SECOND);
      await form.getByRole('button', { name: 'Change password' }).click();

      await form.getByText('Your password has been changed in MLflow and in Vault.').waitFor();
      // The fields are emptied once the change is done.
      await eventually(async () =>
        expect(await form.getByLabel('New password', { exact: true }).inputValue()).toBe(''),
      );
      await expectTextContaining(main().locator('.vault-status'), 'Stored and up to date');

      expect(await signInStatus(stack().mlflow, EMAIL, SECOND)).toBe(200);
      expect(await signInStatus(stack().mlflow, EMAIL, FIRST)).toBe(401);
      expect(stack().papi!.secretFor(accounts.alice.sub, TEST_VO, SECRET_PATH)).toEqual({
        username: EMAIL,
        password: SECOND,
      });
    }),
  );

  it(
    'then deleting needs her exact email typed, and afterwards she is on the register page and MLflow no longer knows her',
    step(async () => {
      await main().getByRole('button', { name: 'Delete account…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete your MLflow account?' });
      await dialog.waitFor();
      const confirmInput = dialog.getByLabel('Type your email address to confirm');
      const remove = dialog.getByRole('button', { name: 'Delete account', exact: true });

      await eventually(async () => expect(await remove.isDisabled()).toBe(true));
      for (const almost of [EMAIL.slice(0, -1), EMAIL.toUpperCase(), ` ${EMAIL}`, `${EMAIL}x`]) {
        await confirmInput.fill(almost);
        await eventually(async () => expect(await remove.isDisabled()).toBe(true));
      }
      // Enter in the field does not get around the disabled button either.
      await confirmInput.press('Enter');
      await dialog.waitFor();
      expect(await mlflowUser(stack().mlflow, EMAIL)).not.toBeNull();

      await confirmInput.fill(EMAIL);
      await eventually(async () => expect(await remove.isEnabled()).toBe(true));
      await remove.click();

      await page.waitForURL(`${stack().baseUrl}/register`);
      await expectText(main().locator('h1'), 'Create your MLflow account');
      await main().getByText('Your MLflow account has been deleted.').waitFor();
      await dialog.waitFor({ state: 'detached' });
      await eventually(async () => expect(await isFocused(main().locator('h1'))).toBe(true));

      expect(await mlflowUser(stack().mlflow, EMAIL)).toBeNull();
      expect(await signInStatus(stack().mlflow, EMAIL, SECOND)).toBe(401);
      expect(stack().papi!.secretFor(accounts.alice.sub, TEST_VO, SECRET_PATH)).toBeUndefined();
    }),
  );

  it(
    'then signing out ends the session: the account page afterwards shows the welcome page with its Sign in button',
    step(async () => {
      await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
      // The BFF hands over to the provider's end-session page, which asks for confirmation.
      await page.waitForURL((url) => url.origin === stack().oidc.issuer);
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await page.waitForURL((url) => url.href.startsWith(`${stack().baseUrl}/`));

      await page.goto(`${stack().baseUrl}/account`);
      await expectText(main().locator('h1'), 'Your account for MLflow');
      await main().getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/signup/');
      await eventually(async () => expect(await page.locator('header').innerText()).not.toContain(EMAIL));
      const status = await page.evaluate(
        async () => (await fetch('api/me', { headers: { Accept: 'application/json' } })).status,
      );
      expect(status).toBe(401);
    }),
  );

  it(
    'then the page threw no uncaught errors and broke no Content-Security-Policy rule along the way',
    step(async () => {
      // Expected: Chromium logs the 401 of GET /api/me while signed out as a failed load.
      expect(appErrors(page, stack(), signedOutProbe)).toEqual([]);
    }),
  );
});

describe('when frank, signed out, follows a link to his account page', () => {
  it('then the welcome page asks them to sign in and, after the provider, brings them to the page they asked for', () =>
    withPage(browser(), undefined, async (tab) => {
      const frank = await stack().signIn('frank');
      expect((await frank.register('frank-e2e-password-1234')).status).toBe(201);

      await tab.goto(`${stack().baseUrl}/account`);
      await expectText(tab.locator('#main h1'), 'Your account for MLflow');
      expect(new URL(tab.url()).searchParams.get('returnTo')).toBe('/account');
      await tab.locator('#main').getByText('Sign in to continue to the page you asked for.').waitFor();

      await signInThroughProvider(tab, stack().baseUrl, 'frank', accounts.frank.password);
      expect(tab.url()).toBe(`${stack().baseUrl}/account`);
      await expectText(tab.locator('#main [data-testid="username"]'), 'frank@example.org');
    }));

  it('then, when his session ends while the page is open, his next action takes him through the login form and back, and changes nothing in MLflow', () =>
    withPage(browser(), undefined, async (tab) => {
      // Short-lived access tokens, then the provider forgets him: the BFF's refresh fails and the session ends.
      stack().oidc.setAccessTokenTtl(2);
      try {
        await signInThroughProvider(tab, stack().baseUrl, 'frank', accounts.frank.password);
        expect(tab.url()).toBe(`${stack().baseUrl}/account`);
        await stack().oidc.endAllSessions();
        await tab.waitForTimeout(2_500);

        const change = tab.locator('#main').getByRole('region', { name: 'Change password' });
        await change.getByLabel('New password', { exact: true }).fill('frank-never-applied-9999');
        await change.getByLabel('Confirm new password', { exact: true }).fill('frank-never-applied-9999');
        await change.getByRole('button', { name: 'Change password' }).click();

        await tab.waitForURL((url) => url.origin === stack().oidc.issuer && url.pathname.startsWith('/interaction/'));
        stack().oidc.setAccessTokenTtl(600);
        const form = tab.locator('form[action*="/interaction/"]');
        await form.locator('input[name="username"]').fill('frank');
        await form.locator('input[name="password"]').fill(accounts.frank.password);
        await form.getByRole('button', { name: 'Sign in', exact: true }).click();
        await tab.waitForURL(`${stack().baseUrl}/account`);
        await expectText(tab.locator('#main [data-testid="username"]'), 'frank@example.org');

        expect(await signInStatus(stack().mlflow, 'frank@example.org', 'frank-e2e-password-1234')).toBe(200);
        expect(await signInStatus(stack().mlflow, 'frank@example.org', 'frank-never-applied-9999')).toBe(401);
      } finally {
        stack().oidc.setAccessTokenTtl(600);
      }
    }));
});

describe('when Vault fails while grace uses the pages', () => {
  const GRACE = 'grace@example.org';
  const PASSWORD = 'grace-e2e-password-1234';

  it('then a refused registration says no account was created, keeps her on the register page, and a retry works', () =>
    withPage(browser(), undefined, async (tab) => {
      await signInThroughProvider(tab, stack().baseUrl, 'grace', accounts.grace.password);
      const form = tab.locator('#main');
      await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await form.getByLabel('Confirm password', { exact: true }).fill(PASSWORD);
      await form.getByRole('checkbox').check();

      stack().papi!.failNext({ method: 'POST', status: 500 });
      await form.getByRole('button', { name: 'Create account' }).click();
      const alert = form.getByRole('alert').filter({ hasText: 'Your account was not created' });
      await expectTextContaining(alert, 'could not be stored in Vault, so no account was created');
      expect(tab.url()).toBe(`${stack().baseUrl}/register`);
      expect(await mlflowUser(stack().mlflow, GRACE)).toBeNull();

      await form.getByRole('button', { name: 'Create account' }).click();
      await tab.waitForURL(`${stack().baseUrl}/account`);
      await expectTextContaining(tab.locator('#main .vault-status'), 'Stored and up to date');
      expect(await signInStatus(stack().mlflow, GRACE, PASSWORD)).toBe(200);
    }));

  it('then a password change that Vault misses says so, shows the copy as out of date, and submitting again repairs it', () =>
    withPage(browser(), undefined, async (tab) => {
      await signInThroughProvider(tab, stack().baseUrl, 'grace', accounts.grace.password);
      expect(tab.url()).toBe(`${stack().baseUrl}/account`);
      const change = tab.locator('#main').getByRole('region', { name: 'Change password' });
      const NEW = 'grace-e2e-password-5678';
      await change.getByLabel('New password', { exact: true }).fill(NEW);
      await change.getByLabel('Confirm new password', { exact: true }).fill(NEW);

      stack().papi!.failNext({ method: 'POST', status: 503 });
      await change.getByRole('button', { name: 'Change password' }).click();
      await expectTextContaining(change.getByRole('alert'), 'Vault was not updated');
      await expectTextContaining(tab.locator('#main .vault-status'), 'Out of date');
      await expectTextContaining(change, 'Vault needs your password again.');
      // MLflow already has the new password.
      expect(await signInStatus(stack().mlflow, GRACE, NEW)).toBe(200);

      // The fields still hold the password, so submitting again is one click.
      await change.getByRole('button', { name: 'Change password' }).click();
      await expectTextContaining(change, 'Your password has been changed in MLflow and in Vault.');
      await expectTextContaining(tab.locator('#main .vault-status'), 'Stored and up to date');
      expect(stack().papi!.secretFor(accounts.grace.sub, TEST_VO, SECRET_PATH)).toEqual({
        username: GRACE,
        password: NEW,
      });
    }));
});
