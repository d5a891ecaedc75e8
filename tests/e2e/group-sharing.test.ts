/**
 * Sharing with a group in real Chromium against the real stack (MLflow 3.x, `SHAREABLE_GROUPS` set): frank
 * and grace both hold the realm role `team-vision`. On the Sharing page frank gives the group READ on his
 * experiment from the "Manage access" dialog, sees its row with the member count, raises it to EDIT and
 * revokes it again; grace's MLflow credentials are checked against MLflow itself along the way. The dialog
 * with the group part passes axe in every colour scheme and size.
 *
 * The steps share one page and run in order; each leaves a screenshot and the console log in
 * tests/e2e/artifacts/<test name>/ when it fails.
 */
import { experimentAccess } from '../support/mlflow-direct.js';
import { accounts, REQUIRED_REALM_ROLES_FOR_TESTS } from '../support/oidc-provider.js';
import { useStack, type Stack } from '../support/stack.js';
import { sleep } from '../support/timing.js';
import { checkA11y, checkA11yInEveryVariant } from './support/a11y.js';
import { stepsOn } from './support/artifacts.js';
import { describeFocus, eventually, expectTextContaining } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { registerWithExperiment } from './support/experiment.js';
import { appErrors, newPage, signedOutProbe, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const GRACE = 'grace@example.org';
const FRANK_PASSWORD = 'frank-mlflow-password-1';
const GRACE_PASSWORD = 'grace-mlflow-password-2';
/** The group as the pages name it: its id is `realm_role:team-vision`. */
const GROUP = 'team-vision (realm role)';
const EXPERIMENT = 'vision exp';
const roles = (...extra: string[]) => ({
  realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access', ...extra] },
});

const browser = useBrowser();
const stack = useStack(
  { rule: 'realm_roles', vault: false, env: { SHAREABLE_GROUPS: 'realm_role:team-*' } },
  startE2eStack,
);
let page: Page;
let experimentId: string;

const graceCan = () => experimentAccess(stack().mlflow, GRACE, GRACE_PASSWORD, experimentId);

/** Signs grace in through the API and waits for the sign-in's group sync (it runs after the redirect). */
async function signInSynced(s: Stack, login: string): Promise<void> {
  const start = Date.now();
  const session = await s.signIn(login);
  for (let i = 0; i < 200; i++) {
    const sync = (await session.call('GET', '/api/me/groups')).body.sync;
    if (sync && Date.parse(sync.attempted_at) >= start) return;
    await sleep(50);
  }
  throw new Error(`the group sync of ${login}'s sign-in was never recorded`);
}

beforeAll(async () => {
  stack().oidc.setClaims('frank', roles('team-vision'));
  stack().oidc.setClaims('grace', roles('team-vision'));
  experimentId = await registerWithExperiment(stack(), EXPERIMENT, { frank: FRANK_PASSWORD, grace: GRACE_PASSWORD });
  page = await newPage(browser());
});

const main = () => page.locator('#main');
const manageButton = () => main().getByRole('button', { name: `Manage access to ${EXPERIMENT}` });
const dialog = () => page.getByRole('dialog', { name: `Manage access to ${EXPERIMENT}` });
const groups = () => dialog().getByRole('region', { name: 'Groups' });
const groupRow = () =>
  groups()
    .locator('.person')
    .filter({ has: page.getByLabel(`Permission for group ${GROUP}`) });

async function openDialog(): Promise<void> {
  await manageButton().click();
  await dialog().waitFor();
  await groups().waitFor();
}

async function closeDialog(): Promise<void> {
  await dialog().getByRole('button', { name: 'Close' }).click();
  await dialog().waitFor({ state: 'hidden' });
}

/** Runs one step on the shared page, leaving artefacts behind when it fails. */
const step = stepsOn(() => page);

describe('when frank shares an experiment with his group team-vision', () => {
  it(
    'then the dialog shows a Groups part offering his own group, with the note about the next sign-in',
    step(async () => {
      expect(await graceCan()).toEqual({ read: 403, createRun: 403 });
      await signInThroughProvider(page, stack().baseUrl, 'frank', accounts.frank.password);
      await page.goto(`${stack().baseUrl}/sharing`);
      await manageButton().waitFor();
      await openDialog();
      await expectTextContaining(groups(), 'join at their next sign-in');
      await expectTextContaining(groups(), 'No group has a grant on this experiment.');
      const options = await groups().getByLabel('Your group', { exact: true }).locator('option').allInnerTexts();
      expect(options.map((o) => o.trim())).toEqual([GROUP]);
    }),
  );

  it(
    'then granting the group READ shows its row with the member count, and grace reads it once she signed in again',
    step(async () => {
      await groups().getByLabel('Permission for the group').selectOption('READ');
      await groups().getByRole('button', { name: 'Share with group' }).click();
      await groups().getByText(`The group ${GROUP} now has Read access to ${EXPERIMENT}.`).waitFor();
      await eventually(async () =>
        expect(await groupRow().getByLabel(`Permission for group ${GROUP}`).inputValue()).toBe('READ'),
      );
      // Frank joined at once when he first shared; grace joins at her next sign-in.
      await expectTextContaining(groupRow(), '1 member so far');

      await signInSynced(stack(), 'grace');
      expect(await graceCan()).toEqual({ read: 200, createRun: 403 });
      await closeDialog();
      await openDialog();
      await expectTextContaining(groupRow(), '2 members so far');
    }),
  );

  it(
    'then raising the group to EDIT lets grace log a run, and the dialog with the group part passes axe',
    step(async () => {
      await groupRow().getByLabel(`Permission for group ${GROUP}`).selectOption('EDIT');
      await groupRow()
        .getByRole('button', { name: `Save permission for group ${GROUP}` })
        .click();
      await groupRow().getByText(`The group ${GROUP} now has Edit access.`).waitFor();
      await eventually(async () =>
        expect(
          await groupRow()
            .getByRole('button', { name: `Revoke access of group ${GROUP}` })
            .isEnabled(),
        ).toBe(true),
      );
      expect(await graceCan()).toEqual({ read: 200, createRun: 200 });
      await checkA11yInEveryVariant(page, 'manage access dialog with a group', { include: 'dialog[open]' });
    }),
  );

  it(
    'then revoking the group asks first, and afterwards MLflow refuses grace again',
    step(async () => {
      await groupRow()
        .getByRole('button', { name: `Revoke access of group ${GROUP}` })
        .click();
      const confirm = page.getByRole('dialog', { name: `Revoke the access of group ${GROUP}?` });
      await confirm.waitFor();
      await expectTextContaining(confirm, 'will lose the Edit access');
      await checkA11y(page, 'revoke group confirmation', { include: 'dialog[open] ~ dialog[open]' });
      await confirm.getByRole('button', { name: 'Revoke access' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await groups().getByText(`The group ${GROUP} no longer has access to ${EXPERIMENT}.`).waitFor();
      await groupRow().waitFor({ state: 'detached' });
      await eventually(async () => expect(await describeFocus(page)).toContain('Groups'));
      expect(await graceCan()).toEqual({ read: 403, createRun: 403 });
    }),
  );

  it(
    'then the page threw no uncaught errors and broke no Content-Security-Policy rule along the way',
    step(async () => {
      expect(appErrors(page, stack(), signedOutProbe)).toEqual([]);
    }),
  );
});
