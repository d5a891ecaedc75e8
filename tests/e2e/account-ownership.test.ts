/**
 * Accounts that belong to a sign-in, in real Chromium against the real stack (MLflow 3.x, the OpenID
 * provider's login form, the PAPI double): what each person sees on the account page when the MLflow
 * account with their email is theirs, someone else's, waiting to be claimed, an administrator's, or
 * disabled, and the activity page that tells them what happened. Every claim about MLflow and Vault is
 * checked against MLflow itself and the PAPI double's store, not against the BFF.
 *
 * - Grace registers in the browser; Gracie (another sign-in presenting Grace@Example.org) is told the
 *   account belongs to another sign-in, with the support contact as a mail link, and sees no form and no
 *   Vault status.
 * - Alice's email has an MLflow administrator account: the page says it is not managed here.
 * - Heidi's account was made by an MLflow admin before the registry: she claims it with its password (a
 *   wrong one first); then her email changes at the provider and the page says her username stays.
 * - Ivan's account is disabled by a maintenance round once the BFF's clock is 31 days on
 *   (DEPROVISION_AFTER_DAYS=30); a new password enables it again; his Activity page lists it all.
 *
 * Every new state is checked with axe in the light and dark colour schemes, on a desktop and a 375 px phone.
 * The steps of one `describe` share pages and run in order; each leaves a screenshot and the console log in
 * tests/e2e/artifacts/<test name>/ when it fails.
 */
import { mlflowAs, mlflowUser, signInStatus } from '../support/mlflow-direct.js';
import { accounts } from '../support/oidc-provider.js';
import { TEST_VO, useStack } from '../support/stack.js';
import { checkA11yInEveryVariant } from './support/a11y.js';
import { withArtifacts } from './support/artifacts.js';
import { eventually, expectText, expectTextContaining, isFocused } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { appErrors, closePage, newPage, signedOutProbe, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const SECRET_PATH = '/services/mlflow/credentials';
const SUPPORT = 'mlflow-support@example.org';
const DAY = 86_400_000;

const GRACE = 'grace@example.org';
const GRACE_PASSWORD = 'grace-e2e-password-1234';
const ALICE = 'alice@example.org';
const ALICE_ADMIN_PASSWORD = 'alice-admin-password-1234';
const HEIDI = 'heidi@example.org';
const HEIDI_MOVED = 'heidi.moved@example.org';
const HEIDI_PASSWORD = 'heidi-made-by-admin-1234';
const IVAN = 'ivan@example.org';
const IVAN_FIRST = 'ivan-first-password-1234';
const IVAN_SECOND = 'ivan-second-password-5678';
const IVAN_THIRD = 'ivan-third-password-9012';

/** How far the BFF's registry clock runs ahead of the real one. */
let offsetMs = 0;

const browser = useBrowser();
const stack = useStack(
  {
    rule: 'realm_roles',
    vault: true,
    now: () => Date.now() + offsetMs,
    env: { SUPPORT_CONTACT: SUPPORT, DEPROVISION_AFTER_DAYS: '30' },
  },
  startE2eStack,
);

/** Every page the file opened, for the last check (no uncaught errors, no CSP violation). */
const opened: Page[] = [];
/** The pages of the people with an account of their own before Ivan's is disabled. */
let grace: Page;
let heidi: Page;
async function openPage(): Promise<Page> {
  const page = await newPage(browser());
  opened.push(page);
  return page;
}

const asAdmin = (method: string, path: string, body?: unknown) =>
  mlflowAs(stack().mlflow, stack().mlflow.adminUsername, stack().mlflow.adminPassword, method, path, body);
const vaultOf = (login: keyof typeof accounts) => stack().papi!.secretFor(accounts[login].sub, TEST_VO, SECRET_PATH);

beforeAll(async () => {
  // The steps run the maintenance rounds themselves; a scheduled one could run while the clock is moved.
  await stack().bff.maintenance.stop();

  // Made in MLflow by its admin, as the older sign-up service or an operator did: nobody owns them here.
  expect(
    (await asAdmin('POST', '/api/2.0/mlflow/users/create', { username: HEIDI, password: HEIDI_PASSWORD })).status,
  ).toBe(200);
  expect(
    (await asAdmin('POST', '/api/2.0/mlflow/users/create', { username: ALICE, password: ALICE_ADMIN_PASSWORD })).status,
  ).toBe(200);
  expect(
    (await asAdmin('PATCH', '/api/2.0/mlflow/users/update-admin', { username: ALICE, is_admin: true })).status,
  ).toBe(200);

  // Ivan registers now, on the real clock, and stays away until his account is disabled.
  const ivan = await stack().signIn('ivan');
  expect((await ivan.register(IVAN_FIRST)).status).toBe(201);
});

const main = (page: Page) => page.locator('#main');
const passwordInputs = (page: Page) => page.locator('input[type="password"]');

/** What the BFF tells the page about the person (`GET /api/me`), asked from the page itself. */
function meOf(page: Page): Promise<{ ownership: { status: string }; account: unknown; vault: unknown }> {
  return page.evaluate(async () => (await fetch('api/me', { headers: { Accept: 'application/json' } })).json());
}

/** The activity table's rows as the page words them, cell by cell: when, who, what happened, outcome. */
async function activityRows(page: Page): Promise<string[][]> {
  return main(page)
    .locator('.activity-table tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) => Array.from(row.querySelectorAll('td')).map((cell) => (cell as HTMLElement).innerText.trim())),
    );
}

describe('when Grace has registered and Gracie, another sign-in with her email, signs in', () => {
  let gracie: Page;

  it('then Grace registers through the page and gets her account', async () => {
    grace = await openPage();
    await withArtifacts(grace, undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'grace', accounts.grace.password);
      await expectText(main(page).locator('h1'), 'Create your MLflow account');
      await main(page).getByLabel('Password', { exact: true }).fill(GRACE_PASSWORD);
      await main(page).getByLabel('Confirm password', { exact: true }).fill(GRACE_PASSWORD);
      await main(page).getByRole('checkbox').check();
      await main(page).getByRole('button', { name: 'Create account' }).click();

      await page.waitForURL(`${stack().baseUrl}/account`);
      await expectText(main(page).getByTestId('username'), GRACE);
      expect(await signInStatus(stack().mlflow, GRACE, GRACE_PASSWORD)).toBe(200);
    });
  });

  it('then Gracie is told the account belongs to another sign-in, with the support contact as a mail link, and sees no form and no Vault status', async () => {
    gracie = await openPage();
    await withArtifacts(gracie, undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'gracie', accounts.gracie.password);
      expect(page.url()).toBe(`${stack().baseUrl}/account`);
      await expectText(main(page).locator('h1'), 'Your email address belongs to another sign-in');
      await expectTextContaining(main(page), 'You are signed in as Grace@Example.org.');
      const notice = main(page).getByTestId('other-identity');
      await expectTextContaining(notice, 'The MLflow account for this address is linked to a different sign-in');
      await expectTextContaining(notice, 'already belongs to another sign-in');
      await expectTextContaining(notice, SUPPORT);

      const contact = main(page).getByRole('link', { name: SUPPORT });
      expect(await contact.getAttribute('href')).toBe(`mailto:${SUPPORT}`);
      await main(page).getByRole('button', { name: 'Sign out' }).waitFor();

      // Nothing to fill in, and nothing about Grace's account: no username, no id, no Vault status.
      expect(await passwordInputs(page).count()).toBe(0);
      expect(
        await main(page)
          .getByRole('button', { name: /Create account|Claim account|Change password/ })
          .count(),
      ).toBe(0);
      expect(await main(page).getByTestId('username').count()).toBe(0);
      const text = await page.locator('body').innerText();
      expect(text).not.toMatch(/Vault/i);
      expect(await meOf(page)).toMatchObject({
        ownership: { status: 'owned_by_other_identity' },
        account: null,
        vault: null,
      });
      // The register page is not for her either.
      await page.goto(`${stack().baseUrl}/register`);
      await page.waitForURL(`${stack().baseUrl}/account`);
      await expectText(main(page).locator('h1'), 'Your email address belongs to another sign-in');

      await checkA11yInEveryVariant(page, 'account page of another sign-in');
      // Grace's account is untouched.
      expect(await signInStatus(stack().mlflow, GRACE, GRACE_PASSWORD)).toBe(200);
    });
  });
});

describe('when an MLflow administrator account has Alice’s email', () => {
  it('then her account page says it cannot be managed here, offers no form and leaves the account as it was', async () => {
    const alice = await openPage();
    await withArtifacts(alice, undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'alice', accounts.alice.password);
      expect(page.url()).toBe(`${stack().baseUrl}/account`);
      await expectText(main(page).locator('h1'), 'This account cannot be managed here');
      await expectTextContaining(
        main(page),
        `The MLflow account ${ALICE} for your email address is an MLflow administrator account.`,
      );
      const notice = main(page).getByTestId('protected-account');
      await expectTextContaining(notice, 'Administrator accounts are managed in MLflow');
      await expectTextContaining(notice, `${ALICE} is an MLflow administrator account`);
      expect(await notice.getByRole('link', { name: SUPPORT }).getAttribute('href')).toBe(`mailto:${SUPPORT}`);
      expect(await passwordInputs(page).count()).toBe(0);
      expect(await main(page).getByRole('button').count()).toBe(0);

      await checkA11yInEveryVariant(page, 'account page of an administrator account');

      expect(await mlflowUser(stack().mlflow, ALICE)).toMatchObject({ username: ALICE, is_admin: true });
      expect(await signInStatus(stack().mlflow, ALICE, ALICE_ADMIN_PASSWORD)).toBe(200);
      expect(vaultOf('alice')).toBeUndefined();
    });
  });
});

describe('when an MLflow admin made Heidi’s account before the registry, and she claims it', () => {
  const step = (fn: (page: Page) => Promise<void>) => () => withArtifacts(heidi, undefined, fn);
  const field = () => main(heidi).getByLabel('Current MLflow password', { exact: true });

  beforeAll(async () => {
    heidi = await openPage();
  });

  it(
    'then signing in shows the claim form with the account’s username, and the form passes axe',
    step(async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'heidi', accounts.heidi.password);
      expect(page.url()).toBe(`${stack().baseUrl}/account`);
      await expectText(main(page).locator('h1'), 'Your MLflow account already exists');
      await expectText(main(page).getByTestId('username'), HEIDI);
      await field().waitFor();
      await main(page).getByRole('button', { name: 'Claim account' }).waitFor();
      const forgot = main(page).getByRole('region', { name: 'Forgot the password?' });
      expect(await forgot.getByRole('link', { name: SUPPORT }).getAttribute('href')).toBe(`mailto:${SUPPORT}`);

      await checkA11yInEveryVariant(page, 'claim form');
    }),
  );

  it(
    'then a wrong password is refused in words, the field is marked and has focus again, and nothing is bound',
    step(async (page) => {
      await field().fill('not-the-mlflow-password-1');
      await main(page).getByRole('button', { name: 'Claim account' }).click();

      const alert = main(page).getByRole('alert').filter({ hasText: 'The account was not claimed' });
      await expectTextContaining(alert, `That is not the current password of ${HEIDI}.`);
      await expectTextContaining(alert, 'not the one of your organisation account');
      await expectTextContaining(main(page), 'This is not the account’s current MLflow password.');
      expect(await field().getAttribute('aria-invalid')).toBe('true');
      await eventually(async () => expect(await isFocused(field())).toBe(true));
      expect((await meOf(page)).ownership.status).toBe('claimable');

      await checkA11yInEveryVariant(page, 'claim form with a refused password');
    }),
  );

  it(
    'then the right password makes the account hers: the account page shows it, MLflow keeps it as it was, and Vault has a copy',
    step(async (page) => {
      await field().fill(HEIDI_PASSWORD);
      await main(page).getByRole('button', { name: 'Claim account' }).click();

      await expectText(main(page).locator('h1'), 'Your MLflow account');
      await main(page)
        .getByText('This MLflow account is now yours, and a copy of its password is stored in Vault.')
        .waitFor();
      await eventually(async () => expect(await isFocused(main(page).locator('h1'))).toBe(true));
      await expectText(main(page).getByTestId('username'), HEIDI);
      await expectTextContaining(main(page).locator('.vault-status'), 'Stored and up to date');
      expect(page.url()).toBe(`${stack().baseUrl}/account`);

      expect(await mlflowUser(stack().mlflow, HEIDI)).toMatchObject({ username: HEIDI, is_admin: false });
      expect(await signInStatus(stack().mlflow, HEIDI, HEIDI_PASSWORD)).toBe(200);
      expect(vaultOf('heidi')).toEqual({ username: HEIDI, password: HEIDI_PASSWORD });
    }),
  );

  it('then, once her email changed at the provider, a new sign-in says her MLflow username stays the old one', async () => {
    stack().oidc.setClaims('heidi', { email: HEIDI_MOVED });
    // Her old tab keeps the old email's session: she moves on to a new browser.
    await closePage(heidi);
    heidi = await openPage();
    await withArtifacts(heidi, undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'heidi', accounts.heidi.password);
      expect(page.url()).toBe(`${stack().baseUrl}/account`);
      await expectText(main(page).locator('h1'), 'Your MLflow account');
      await expectTextContaining(page.locator('header'), HEIDI_MOVED);

      const notice = main(page).getByTestId('email-changed');
      await expectTextContaining(notice, 'Your MLflow username has not changed');
      await expectTextContaining(notice, `Your email at your sign-in provider is now ${HEIDI_MOVED};`);
      await expectTextContaining(notice, `your MLflow username stays ${HEIDI} — use ${HEIDI} to sign in to MLflow.`);
      await expectText(main(page).getByTestId('username'), HEIDI);
      await expectTextContaining(
        main(page).getByRole('region', { name: 'How to use these credentials' }),
        `export MLFLOW_TRACKING_USERNAME=${HEIDI}`,
      );

      await checkA11yInEveryVariant(page, 'account page after the email changed');
      expect(await mlflowUser(stack().mlflow, HEIDI_MOVED)).toBeNull();
      expect(await signInStatus(stack().mlflow, HEIDI, HEIDI_PASSWORD)).toBe(200);
    });
  });
});

describe('when Ivan has not signed in for longer than DEPROVISION_AFTER_DAYS', () => {
  let ivan: Page;
  const step = (fn: (page: Page) => Promise<void>) => () => withArtifacts(ivan, undefined, fn);

  beforeAll(async () => {
    ivan = await openPage();
  });

  it(
    'then a maintenance round 31 days on disables his account alone, and his account page says so and how to enable it',
    step(async (page) => {
      offsetMs = 31 * DAY;
      // Grace and Heidi come back (their account pages load again) on the moved clock; Ivan does not.
      for (const other of [grace, heidi]) {
        await other.reload();
        await expectText(main(other).locator('h1'), 'Your MLflow account');
      }
      const report = await stack().bff.maintenance.runOnce();
      expect(report).toMatchObject({ ran: true, disabled: [IVAN], failed: [] });
      expect(await signInStatus(stack().mlflow, IVAN, IVAN_FIRST)).toBe(401);

      await signInThroughProvider(page, stack().baseUrl, 'ivan', accounts.ivan.password);
      expect(page.url()).toBe(`${stack().baseUrl}/account`);
      await expectText(main(page).locator('h1'), 'Your MLflow account');
      const notice = main(page).getByTestId('account-disabled');
      await expectTextContaining(notice, 'Your MLflow account is disabled');
      await expectTextContaining(notice, 'because you had not signed in here for a long time');
      await expectTextContaining(notice, 'Its MLflow password no longer works.');
      await expectTextContaining(notice, 'Set a new password below to enable it again.');
      const disabledAt = Date.parse((await notice.locator('time').getAttribute('datetime')) ?? '');
      expect(disabledAt).toBeGreaterThan(Date.now() + 30 * DAY);

      await checkA11yInEveryVariant(page, 'account page of a disabled account');
    }),
  );

  it(
    'then a new password (his sign-in is recent) enables it again: the notice goes and MLflow accepts the new password',
    step(async (page) => {
      const form = main(page).getByRole('region', { name: 'Change password' });
      await form.getByLabel('New password', { exact: true }).fill(IVAN_SECOND);
      await form.getByLabel('Confirm new password', { exact: true }).fill(IVAN_SECOND);
      await form.getByRole('button', { name: 'Change password' }).click();

      await form
        .getByText('Your password has been changed in MLflow and in Vault. Your account is enabled again.')
        .waitFor();
      await main(page).getByTestId('account-disabled').waitFor({ state: 'detached' });
      await expectTextContaining(main(page).locator('.vault-status'), 'Stored and up to date');

      expect(await signInStatus(stack().mlflow, IVAN, IVAN_SECOND)).toBe(200);
      expect(await signInStatus(stack().mlflow, IVAN, IVAN_FIRST)).toBe(401);
      expect(vaultOf('ivan')).toEqual({ username: IVAN, password: IVAN_SECOND });
    }),
  );

  it(
    'then, after one more change, the header’s Activity link lists what happened in words, newest first, and passes axe',
    step(async (page) => {
      const form = main(page).getByRole('region', { name: 'Change password' });
      await form.getByLabel('New password', { exact: true }).fill(IVAN_THIRD);
      await form.getByLabel('Confirm new password', { exact: true }).fill(IVAN_THIRD);
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByText('Your password has been changed in MLflow and in Vault.').waitFor();

      const link = page.locator('header').getByRole('link', { name: 'Activity' });
      await link.click();
      await page.waitForURL(`${stack().baseUrl}/activity`);
      await expectText(main(page).locator('h1'), 'Activity');
      expect(await page.title()).toBe('Activity · MLflow account');
      await eventually(async () => expect(await link.getAttribute('aria-current')).toBe('page'));

      const expected = [
        ['You', 'Changed the password', '✓ Succeeded'],
        ['You', 'Enabled the account again with a new password', '✓ Succeeded'],
        ['This service', 'Disabled the account (not signed in for a long time)', '✓ Succeeded'],
        ['You', `Registered the account ${IVAN}`, '✓ Succeeded'],
      ];
      await eventually(async () => expect((await activityRows(page)).map((row) => row.slice(1))).toEqual(expected));
      const times = await main(page)
        .locator('.activity-table tbody time')
        .evaluateAll((els) => els.map((el) => Date.parse(el.getAttribute('datetime') ?? '')));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(await main(page).getByRole('button', { name: 'Show older' }).count()).toBe(0);

      await checkA11yInEveryVariant(page, 'activity page');
    }),
  );

  it(
    'then, with pages of two entries, "Show older" adds the older ones, says so, and moves focus to the first of them',
    step(async (page) => {
      // 50 entries (the page's size) would cost 50 MLflow password changes: the page asks for 2 instead, and
      // the BFF's paging answers for real.
      await page.route(
        (url) => url.pathname === '/signup/api/me/activity',
        (route) => {
          const url = new URL(route.request().url());
          url.searchParams.set('limit', '2');
          return route.continue({ url: url.href });
        },
      );
      try {
        await page.reload();
        await expectText(main(page).locator('h1'), 'Activity');
        await eventually(async () =>
          expect((await activityRows(page)).map((row) => row[2])).toEqual([
            'Changed the password',
            'Enabled the account again with a new password',
          ]),
        );
        const older = main(page).getByRole('button', { name: 'Show older' });
        await checkA11yInEveryVariant(page, 'activity page with older entries to show');

        await older.click();
        await eventually(async () => expect(await activityRows(page)).toHaveLength(4));
        await expectText(main(page).getByRole('status'), 'Showing 2 older entries. There are no older ones.');
        await older.waitFor({ state: 'detached' });
        const third = main(page).locator('.activity-table tbody tr').nth(2);
        await eventually(async () => expect(await isFocused(third)).toBe(true));
        expect(await third.innerText()).toContain('Disabled the account');
      } finally {
        await page.unrouteAll();
      }
    }),
  );
});

describe('when all is done', () => {
  it('then no page threw an uncaught error or broke a Content-Security-Policy rule', () => {
    // Expected: Chromium logs the 401 of GET /api/me before signing in, and the 403 of the refused claim,
    // as failed loads.
    const expected = (text: string, location: string) =>
      signedOutProbe(text, location) || (/status of 403/.test(text) && location.includes('/api/me/claim'));
    expect(opened.flatMap((page) => appErrors(page, stack(), expected))).toEqual([]);
  });
});
