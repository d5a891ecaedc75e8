/**
 * Machine accounts in real Chromium against the real stack (MLflow 3.x, the OpenID provider's login form,
 * the PAPI double): frank makes one on his account page (its password shown once, with a copy button),
 * makes a new password for it, offers it as a collaborator on the Sharing page, and deletes it. Every claim
 * is checked against MLflow itself with the machine account's own credentials, as a pipeline would use
 * them, and in the PAPI double's store.
 *
 * The steps share one page and run in order; each leaves a screenshot and the console log in
 * tests/e2e/artifacts/<test name>/ when it fails. Every new state is checked with axe in the light and dark
 * colour schemes, on a desktop and a 375 px phone.
 */
import { experimentAccess, mlflowUser, signInStatus } from '../support/mlflow-direct.js';
import { accounts } from '../support/oidc-provider.js';
import { TEST_VO, useStack } from '../support/stack.js';
import { checkA11y, checkA11yInEveryVariant } from './support/a11y.js';
import { stepsOn } from './support/artifacts.js';
import { eventually, expectText, expectTextContaining, isFocused } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { registerWithExperiment } from './support/experiment.js';
import { appErrors, newPage, signedOutProbe, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const FRANK = 'frank@example.org';
const FRANK_PASSWORD = 'frank-mlflow-password-1';
const LABEL = 'ci-nightly';
const MACHINE = `${FRANK}/${LABEL}`;
const EXPERIMENT = 'frank pipelines';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: true }, startE2eStack);
let page: Page;
let experimentId: string;
/** The machine account's password that works now, as the page showed it. */
let password: string;

beforeAll(async () => {
  experimentId = await registerWithExperiment(stack(), EXPERIMENT, { frank: FRANK_PASSWORD });
  page = await newPage(browser());
});

const main = () => page.locator('#main');
const section = () => main().getByRole('region', { name: 'Machine accounts' });
const panel = () => section().getByTestId('one-time-password');
const vaultCopy = () =>
  stack().papi!.secretFor(accounts.frank.sub, TEST_VO, `/services/mlflow/machine-accounts/${LABEL}`);
/** What the machine account's MLflow client gets when it reads the experiment, and when it logs a run in it. */
const machineCan = () => experimentAccess(stack().mlflow, MACHINE, password, experimentId);

/** Runs one step on the shared page, leaving artefacts behind when it fails. */
const step = stepsOn(() => page);

describe('when frank makes a machine account for his pipelines', () => {
  it(
    'then his account page has a "Machine accounts" section with a form for a label, which passes axe',
    step(async () => {
      await signInThroughProvider(page, stack().baseUrl, 'frank', accounts.frank.password);
      await page.waitForURL(`${stack().baseUrl}/account`);
      await expectTextContaining(section(), 'You have no machine accounts yet.');
      await expectTextContaining(section().locator('.field__hint'), `${FRANK}/label`);

      await checkA11yInEveryVariant(page, 'account page, no machine accounts');
    }),
  );

  it(
    'then a label that breaks the rule is refused in words under the field, and nothing reaches MLflow',
    step(async () => {
      await section().getByLabel('Label', { exact: true }).fill('CI Nightly');
      await section().getByRole('button', { name: 'Make machine account' }).click();
      await expectText(section().locator('.field__error'), 'A label uses lower-case letters only.');
      await eventually(async () => expect(await isFocused(section().getByLabel('Label', { exact: true }))).toBe(true));
      expect(await mlflowUser(stack().mlflow, `${FRANK}/CI Nightly`)).toBeNull();
    }),
  );

  it(
    'then making it shows its password once, with a copy button and a plain warning; it signs in to MLflow and Vault has a copy',
    step(async () => {
      const label = section().getByLabel('Label', { exact: true });
      await label.fill(LABEL);
      await expectTextContaining(section().locator('.field__hint'), MACHINE);
      await section().getByRole('button', { name: 'Make machine account' }).click();

      await panel().waitFor();
      await expectTextContaining(panel(), 'Copy the password now: it will not be shown again.');
      await expectText(panel().getByTestId('machine-username'), MACHINE);
      await eventually(async () => expect(await isFocused(panel().locator('h3'))).toBe(true));
      password = (await panel().locator('pre').innerText()).trim();
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      await expectTextContaining(panel(), 'A copy of these credentials is stored in Vault.');

      // "Copy" puts it on the clipboard, or, where the browser refuses, selects it and says how to copy.
      await panel().getByRole('button', { name: 'Copy Password' }).click();
      await eventually(async () =>
        expect(await panel().locator('.code-block__status').innerText()).toMatch(
          /Copied to the clipboard\.|press Ctrl\+C/,
        ),
      );

      expect(await signInStatus(stack().mlflow, MACHINE, password)).toBe(200);
      expect(vaultCopy()).toEqual({ username: MACHINE, password });
      await expectTextContaining(section().locator('li.machine-account'), MACHINE);
      expect(await label.inputValue()).toBe('');

      await checkA11yInEveryVariant(page, 'account page, a machine account password shown once');
    }),
  );

  it(
    'then "I have copied it" takes the password off the page for good, and focus goes to the section heading',
    step(async () => {
      await panel().getByRole('button', { name: 'I have copied it' }).click();
      await panel().waitFor({ state: 'detached' });
      expect(await page.locator('body').innerText()).not.toContain(password);
      expect(await page.content()).not.toContain(password);
      await eventually(async () =>
        expect(await isFocused(section().getByRole('heading', { name: 'Machine accounts' }))).toBe(true),
      );

      // A reload lists it, without any password.
      await page.reload();
      await expectTextContaining(section().locator('li.machine-account'), MACHINE);
      expect(await page.content()).not.toContain(password);
    }),
  );

  it(
    'then "New password" asks first, then shows a new password once: the old one stops working in MLflow',
    step(async () => {
      await section()
        .getByRole('button', { name: `New password for ${MACHINE}` })
        .click();
      const confirm = page.getByRole('dialog', { name: `New password for ${LABEL}?` });
      await confirm.waitFor();
      await expectTextContaining(confirm, 'stops working at once');
      await checkA11y(page, 'new password confirmation', { include: 'dialog[open]' });

      await confirm.getByRole('button', { name: 'Make a new password' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await panel().waitFor();
      await expectText(panel().locator('h3'), 'New password made');
      const previous = password;
      password = (await panel().locator('pre').innerText()).trim();
      expect(password).not.toBe(previous);

      expect(await signInStatus(stack().mlflow, MACHINE, previous)).toBe(401);
      expect(await signInStatus(stack().mlflow, MACHINE, password)).toBe(200);
      expect(vaultCopy()).toEqual({ username: MACHINE, password });
      await panel().getByRole('button', { name: 'I have copied it' }).click();
    }),
  );

  it(
    'then the Sharing page offers it as a collaborator with one click, and EDIT lets it log a run with its own password',
    step(async () => {
      expect(await machineCan()).toEqual({ read: 403, createRun: 403 });
      await page.locator('header').getByRole('link', { name: 'Sharing' }).click();
      await page.waitForURL(`${stack().baseUrl}/sharing`);
      await main()
        .getByRole('button', { name: `Manage access to ${EXPERIMENT}` })
        .click();
      const dialog = page.getByRole('dialog', { name: `Manage access to ${EXPERIMENT}` });
      await dialog.waitFor();

      const suggestions = dialog.getByRole('group', { name: 'Or one of your machine accounts' });
      await suggestions.getByRole('button', { name: MACHINE }).click();
      expect(await dialog.getByLabel('Email address').inputValue()).toBe(MACHINE);
      await eventually(async () => expect(await isFocused(dialog.getByLabel('Email address'))).toBe(true));
      await checkA11y(page, 'manage access dialog with machine accounts', { include: 'dialog[open]' });

      await dialog.getByLabel('Permission', { exact: true }).selectOption('EDIT');
      await dialog.getByRole('button', { name: 'Share', exact: true }).click();
      await dialog.getByText(`${MACHINE} now has Edit access to ${EXPERIMENT}.`).waitFor();

      expect(await machineCan()).toEqual({ read: 200, createRun: 200 });
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'hidden' });
    }),
  );

  it(
    'then deleting it asks first; afterwards it is gone from the page, MLflow and Vault, and the status says so',
    step(async () => {
      await page.locator('header').getByRole('link', { name: 'Account', exact: true }).click();
      await page.waitForURL(`${stack().baseUrl}/account`);
      await section()
        .getByRole('button', { name: `Delete machine account ${MACHINE}` })
        .click();
      const confirm = page.getByRole('dialog', { name: `Delete the machine account ${LABEL}?` });
      await confirm.waitFor();
      await expectTextContaining(confirm, 'Its copy in Vault is removed.');
      await checkA11yInEveryVariant(page, 'delete machine account confirmation', { include: 'dialog[open]' });

      await confirm.getByRole('button', { name: 'Delete machine account' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await expectText(section().getByRole('status').first(), `The machine account ${MACHINE} was deleted.`);
      await expectTextContaining(section(), 'You have no machine accounts yet.');
      await eventually(async () =>
        expect(await isFocused(section().getByRole('heading', { name: 'Machine accounts' }))).toBe(true),
      );

      expect(await mlflowUser(stack().mlflow, MACHINE)).toBeNull();
      expect(await signInStatus(stack().mlflow, MACHINE, password)).toBe(401);
      expect(vaultCopy()).toBeUndefined();
      expect(await signInStatus(stack().mlflow, FRANK, FRANK_PASSWORD)).toBe(200);
    }),
  );

  it(
    'then his Activity page tells what happened to the machine account, in words',
    step(async () => {
      await page.locator('header').getByRole('link', { name: 'Activity' }).click();
      await page.waitForURL(`${stack().baseUrl}/activity`);
      const table = main().locator('.activity-table');
      await eventually(async () => {
        const text = await table.innerText();
        expect(text).toContain(`Made the machine account ${MACHINE}`);
        expect(text).toContain(`Made a new password for the machine account ${MACHINE}`);
        expect(text).toContain(`Deleted the machine account ${MACHINE}`);
      });
    }),
  );

  it(
    'then the pages threw no uncaught errors and broke no Content-Security-Policy rule along the way',
    step(async () => {
      // Expected: Chromium logs as a failed load the 401 of GET /api/me before signing in.
      expect(appErrors(page, stack(), signedOutProbe)).toEqual([]);
    }),
  );
});
