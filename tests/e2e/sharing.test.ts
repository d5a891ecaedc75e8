/**
 * Sharing in real Chromium against the real stack (MLflow 3.x with its RBAC permission API): frank creates
 * an experiment with his own MLflow credentials, then, on the Sharing page, gives grace READ, raises it to
 * EDIT and removes it again. Every step is checked against MLflow itself, with grace's own credentials:
 * what her MLflow client would be allowed to do, not what the BFF says.
 *
 * The steps share one page (one browser tab) and run in order; each leaves a screenshot and the console log
 * in tests/e2e/artifacts/<test name>/ when it fails. A last test repeats the accessibility checks on a
 * 375 px wide page in the dark colour scheme.
 */
import { experimentAccess } from '../support/mlflow-direct.js';
import { accounts } from '../support/oidc-provider.js';
import { useStack } from '../support/stack.js';
import { checkA11y } from './support/a11y.js';
import { stepsOn, withPage } from './support/artifacts.js';
import { describeFocus, eventually, expectText, expectTextContaining, isFocused } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { registerWithExperiment } from './support/experiment.js';
import { appErrors, MOBILE, newPage, signedOutProbe, type Locator, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const FRANK = 'frank@example.org';
const GRACE = 'grace@example.org';
const FRANK_PASSWORD = 'frank-mlflow-password-1';
const GRACE_PASSWORD = 'grace-mlflow-password-2';
/** A slash, a space and non-ASCII: the name travels through the page, the BFF and MLflow intact. */
const EXPERIMENT = 'team/exp ü';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: false }, startE2eStack);
let page: Page;
let experimentId: string;

/** What grace's MLflow client gets when it reads the experiment, and when it logs a run in it. */
const graceCan = () => experimentAccess(stack().mlflow, GRACE, GRACE_PASSWORD, experimentId);

beforeAll(async () => {
  // Frank creates the experiment as himself, so MLflow gives him MANAGE on it.
  experimentId = await registerWithExperiment(stack(), EXPERIMENT, { frank: FRANK_PASSWORD, grace: GRACE_PASSWORD });
  page = await newPage(browser());
});

const main = () => page.locator('#main');
const manageButton = () => main().getByRole('button', { name: `Manage access to ${EXPERIMENT}` });
const dialog = () => page.getByRole('dialog', { name: `Manage access to ${EXPERIMENT}` });
const graceRow = () =>
  dialog()
    .locator('.person')
    .filter({ has: page.getByLabel(`Permission for ${GRACE}`) });
const expectAttribute = (locator: Locator, name: string, value: string | null) =>
  eventually(async () => expect(await locator.getAttribute(name)).toBe(value));

/** Runs one step on the shared page, leaving artefacts behind when it fails. */
const step = stepsOn(() => page);

describe('when frank shares an experiment with grace on the Sharing page', () => {
  it(
    'then the header leads him to Sharing, which lists his experiment by name with his MANAGE permission',
    step(async () => {
      expect(await graceCan()).toEqual({ read: 403, createRun: 403 });

      await signInThroughProvider(page, stack().baseUrl, 'frank', accounts.frank.password);
      await page.locator('header').getByRole('link', { name: 'Sharing' }).click();
      await page.waitForURL(`${stack().baseUrl}/sharing`);
      await expectText(main().locator('h1'), 'Sharing');
      expect(await page.title()).toBe('Sharing · MLflow account');
      await expectAttribute(page.locator('header').getByRole('link', { name: 'Sharing' }), 'aria-current', 'page');

      const tab = main().getByRole('tab', { name: 'Experiments' });
      await expectAttribute(tab, 'aria-selected', 'true');
      const panel = main().getByRole('tabpanel', { name: 'Experiments' });
      const row = panel.locator('.resource').filter({ hasText: EXPERIMENT });
      await eventually(async () => {
        const text = (await row.innerText()).replace(/\s+/g, ' ');
        expect(text).toContain('Your permission: Manage');
        expect(text).toContain(`ID ${experimentId}`);
      });
      await manageButton().waitFor();

      // The filter box narrows the list by name.
      const filter = panel.getByLabel('Filter experiments by name');
      await filter.fill('nothing like it');
      await expectText(panel.getByRole('status'), 'No experiments match “nothing like it”.');
      await row.waitFor({ state: 'detached' });
      await filter.fill('EXP Ü');
      await row.waitFor();
      await filter.fill('');

      await checkA11y(page, 'sharing page, experiments tab');
    }),
  );

  it(
    'then the tabs work with the keyboard alone: arrow keys move between Experiments, Models and Prompts',
    step(async () => {
      const tab = (name: string) => main().getByRole('tab', { name });
      await tab('Experiments').focus();
      await page.keyboard.press('ArrowRight');
      await eventually(async () => expect(await isFocused(tab('Models'))).toBe(true));
      await expectAttribute(tab('Models'), 'aria-selected', 'true');
      await expectAttribute(tab('Experiments'), 'aria-selected', 'false');
      await expectTextContaining(
        main().getByRole('tabpanel', { name: 'Models' }),
        'You hold no permission on any model yet.',
      );
      expect(new URL(page.url()).searchParams.get('tab')).toBe('models');

      await page.keyboard.press('End');
      await eventually(async () => expect(await isFocused(tab('Prompts'))).toBe(true));
      await expectAttribute(tab('Prompts'), 'aria-selected', 'true');

      await page.keyboard.press('Home');
      await eventually(async () => expect(await isFocused(tab('Experiments'))).toBe(true));
      await expectAttribute(tab('Experiments'), 'aria-selected', 'true');
      // Tab leaves the tab list for the panel's first control, the filter box, not for the next tab.
      await page.keyboard.press('Tab');
      await eventually(async () => expect(await isFocused(main().getByLabel('Filter experiments by name'))).toBe(true));
    }),
  );

  it(
    'then "Manage access" opens a dialog that lists frank himself as manager, starts at the email field and passes axe',
    step(async () => {
      await manageButton().click();
      await dialog().waitFor();
      await expectTextContaining(dialog().locator('.person').first(), `${FRANK} (you)`);
      await eventually(async () => expect(await isFocused(dialog().getByLabel('Email address'))).toBe(true), {
        timeout: 5_000,
      });
      const options = await dialog().getByLabel('Permission', { exact: true }).locator('option').allInnerTexts();
      expect(options.map((o) => o.trim())).toEqual([
        'Read — view it',
        'Use — view and use it without editing (e.g. through the AI gateway)',
        'Edit — view and change it',
        'Manage — change, delete and share it',
      ]);
      await checkA11y(page, 'manage access dialog', { include: 'dialog[open]' });
    }),
  );

  it(
    'then sharing with someone who has no MLflow account and cannot be invited says to ask them to register first',
    step(async () => {
      // Not email-shaped for the BFF (no dot in the domain), so not invited: invitations.test.ts has those.
      await dialog().getByLabel('Email address').fill('nobody@localhost');
      await dialog().getByRole('button', { name: 'Share', exact: true }).click();
      await expectTextContaining(
        dialog().getByRole('alert'),
        'nobody@localhost has no MLflow account yet: ask them to register first.',
      );
    }),
  );

  it(
    'then giving grace READ lets her read the experiment in MLflow but not log a run',
    step(async () => {
      await dialog().getByLabel('Email address').fill(GRACE);
      await dialog().getByLabel('Permission', { exact: true }).selectOption('READ');
      await dialog().getByRole('button', { name: 'Share', exact: true }).click();

      await dialog().getByText(`${GRACE} now has Read access to ${EXPERIMENT}.`).waitFor();
      await eventually(async () => expect(await dialog().getByLabel('Email address').inputValue()).toBe(''));
      await eventually(async () =>
        expect(await graceRow().getByLabel(`Permission for ${GRACE}`).inputValue()).toBe('READ'),
      );

      expect(await graceCan()).toEqual({ read: 200, createRun: 403 });
    }),
  );

  it(
    'then raising grace to EDIT in her row lets her log a run',
    step(async () => {
      const select = graceRow().getByLabel(`Permission for ${GRACE}`);
      await select.selectOption('EDIT');
      await graceRow()
        .getByRole('button', { name: `Save permission for ${GRACE}` })
        .click();
      await graceRow().getByText(`${GRACE} now has Edit access.`).waitFor();
      // Check once the row is idle: a control disabled mid-action is dimmed on purpose.
      await eventually(async () =>
        expect(
          await graceRow()
            .getByRole('button', { name: /^Remove/ })
            .isEnabled(),
        ).toBe(true),
      );
      await checkA11y(page, 'manage access dialog with a collaborator', { include: 'dialog[open]' });

      expect(await graceCan()).toEqual({ read: 200, createRun: 200 });
    }),
  );

  it(
    'then removing grace asks for confirmation first, and afterwards MLflow refuses her again',
    step(async () => {
      await graceRow()
        .getByRole('button', { name: `Remove access of ${GRACE}` })
        .click();
      const confirm = page.getByRole('dialog', { name: `Remove ${GRACE}’s access?` });
      await confirm.waitFor();
      await expectTextContaining(confirm, 'will lose the Edit access');
      await checkA11y(page, 'remove confirmation', { include: 'dialog[open]:last-of-type' });

      // Cancelling keeps her.
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'hidden' });
      expect((await graceCan()).read).toBe(200);
      await eventually(async () =>
        expect(await isFocused(graceRow().getByRole('button', { name: `Remove access of ${GRACE}` }))).toBe(true),
      );

      await graceRow()
        .getByRole('button', { name: `Remove access of ${GRACE}` })
        .click();
      await confirm.getByRole('button', { name: 'Remove access' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await dialog().getByText(`${GRACE} no longer has access of their own to ${EXPERIMENT}.`).waitFor();
      await graceRow().waitFor({ state: 'detached' });
      // Focus stays in the dialog, on the list's heading, rather than falling to the page.
      await eventually(async () => expect(await describeFocus(page)).toContain('People with access'));

      expect(await graceCan()).toEqual({ read: 403, createRun: 403 });
    }),
  );

  it(
    'then closing the dialog gives focus back to the "Manage access" button',
    step(async () => {
      await dialog().getByRole('button', { name: 'Close' }).click();
      await dialog().waitFor({ state: 'hidden' });
      await eventually(async () => expect(await isFocused(manageButton())).toBe(true));

      // Escape closes it too.
      await page.keyboard.press('Enter');
      await dialog().waitFor();
      await page.keyboard.press('Escape');
      await dialog().waitFor({ state: 'hidden' });
      await eventually(async () => expect(await isFocused(manageButton())).toBe(true));
    }),
  );

  it(
    'then the page threw no uncaught errors and broke no Content-Security-Policy rule along the way',
    step(async () => {
      // Expected: Chromium logs as failed loads the 401 of GET /api/me before signing in, and the 404 of
      // sharing with nobody@localhost.
      const expected = (text: string, location: string) =>
        signedOutProbe(text, location) || (/status of 404/.test(text) && location.includes('/api/experiment/'));
      expect(appErrors(page, stack(), expected)).toEqual([]);
    }),
  );
});

describe('when frank opens Sharing on a 375 px phone in the dark colour scheme', () => {
  it('then the page and the dialog fit the screen and pass axe', () =>
    withPage(
      browser(),
      undefined,
      async (phone) => {
        await signInThroughProvider(phone, stack().baseUrl, 'frank', accounts.frank.password);
        await phone.goto(`${stack().baseUrl}/sharing`);
        const mainArea = phone.locator('#main');
        await mainArea.getByRole('button', { name: `Manage access to ${EXPERIMENT}` }).waitFor();
        const overflow = () =>
          phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(await overflow()).toBeLessThanOrEqual(0);
        await checkA11y(phone, 'sharing page, 375 px, dark');

        await mainArea.getByRole('button', { name: `Manage access to ${EXPERIMENT}` }).click();
        const phoneDialog = phone.getByRole('dialog', { name: `Manage access to ${EXPERIMENT}` });
        await phoneDialog.locator('.person').first().waitFor();
        const box = await phoneDialog.boundingBox();
        expect(box).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(MOBILE.width);
        expect(await phoneDialog.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
        await checkA11y(phone, 'manage access dialog, 375 px, dark', { include: 'dialog[open]' });
      },
      { viewport: MOBILE, colorScheme: 'dark' },
    ));
});
