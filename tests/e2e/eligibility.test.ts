/**
 * People who may not register, in real Chromium: they sign in through the provider's real form and the
 * SPA tells them what is missing, in words, with a way to sign out. Nothing reaches MLflow.
 */
import { mlflowUser } from '../support/mlflow-direct.js';
import { accounts, REQUIRED_REALM_ROLES_FOR_TESTS } from '../support/oidc-provider.js';
import { useStack } from '../support/stack.js';
import { withPage } from './support/artifacts.js';
import { eventually, expectText, expectTextContaining } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import type { Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: true }, startE2eStack);

const main = (page: Page) => page.locator('#main');

/** The not-eligible page's "What is missing" box, whose message carries the server's code. */
const missing = (page: Page) => main(page).locator('.alert--warning [data-code]');

describe('when a person is not eligible (carol: another VO role and a sub-group entitlement)', () => {
  it('then after signing in she sees the not-eligible page naming the missing role, and can sign out', () =>
    withPage(browser(), undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'carol', accounts.carol.password);

      expect(page.url()).toBe(`${stack().baseUrl}/not-eligible`);
      await expectText(main(page).locator('h1'), 'You cannot create an MLflow account yet');
      await expectTextContaining(main(page), 'You are signed in as carol@example.org.');
      expect(await missing(page).getAttribute('data-code')).toBe('not_eligible');
      await expectTextContaining(missing(page), REQUIRED_REALM_ROLES_FOR_TESTS);
      await expectTextContaining(main(page), 'ask your group manager or the service desk to add you');
      expect(await page.title()).toBe('Registration not available · MLflow account');

      // The register page is not for her: asking for it brings her back here.
      await page.goto(`${stack().baseUrl}/register`);
      await page.waitForURL(`${stack().baseUrl}/not-eligible`);
      await expectText(main(page).locator('h1'), 'You cannot create an MLflow account yet');

      // The page's own sign-out button (not only the header's) ends the session.
      await main(page).getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL((url) => url.origin === stack().oidc.issuer);
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await page.waitForURL((url) => url.href.startsWith(`${stack().baseUrl}/`));
      await main(page).getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      const status = await page.evaluate(
        async () => (await fetch('api/me', { headers: { Accept: 'application/json' } })).status,
      );
      expect(status).toBe(401);
      expect(await mlflowUser(stack().mlflow, 'carol@example.org')).toBeNull();
    }));
});

describe('when a person’s email address is not verified (dave)', () => {
  it('then he cannot register: the page says his email is not verified and offers no password form', () =>
    withPage(browser(), undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'dave', accounts.dave.password);

      expect(page.url()).toBe(`${stack().baseUrl}/not-eligible`);
      await expectText(main(page).locator('h1'), 'You cannot create an MLflow account yet');
      expect(await missing(page).getAttribute('data-code')).toBe('email_not_verified');
      await expectTextContaining(missing(page), 'Your email address dave@example.org is not verified');
      await expectTextContaining(main(page), 'Your email address has not been verified by your organisation.');
      await main(page).getByRole('button', { name: 'Sign out' }).waitFor();

      await page.goto(`${stack().baseUrl}/register`);
      await page.waitForURL(`${stack().baseUrl}/not-eligible`);
      expect(await main(page).locator('input[type="password"]').count()).toBe(0);

      // Even a hand-made request from his signed-in browser is refused, and MLflow stays untouched.
      const answer = await page.evaluate(async () => {
        const me = await (await fetch('api/me', { headers: { Accept: 'application/json' } })).json();
        const res = await fetch('api/me', {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
          body: JSON.stringify({ password: 'a-perfectly-good-password-1' }),
        });
        return { status: res.status, body: await res.json() };
      });
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('email_not_verified');
      expect(await mlflowUser(stack().mlflow, 'dave@example.org')).toBeNull();
    }));
});

describe('when the provider shares no email address (erin)', () => {
  it('then the page says the email address is missing and names her instead', () =>
    withPage(browser(), undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'erin', accounts.erin.password);

      expect(page.url()).toBe(`${stack().baseUrl}/not-eligible`);
      expect(await missing(page).getAttribute('data-code')).toBe('email_missing');
      await expectTextContaining(missing(page), 'did not share an email address');
      await eventually(async () =>
        expect(await main(page).innerText()).toContain('You are signed in as Erin NoEmail.'),
      );
    }));
});
