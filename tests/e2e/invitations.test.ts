/**
 * Invitations in real Chromium against the real stack (MLflow 3.x, whose collaborator list shows them):
 * frank shares his experiment on the Sharing page with ivan, who has no MLflow account yet, sees the
 * invitation waiting in the list, raises it to EDIT, and invites and then revokes heidi. Ivan then signs in,
 * registers through the page, and his account page says what was shared with him; his own MLflow password
 * proves it. Every claim is checked against MLflow itself or the BFF, not only the page.
 *
 * Every new state is checked with axe in the light and dark colour schemes, on a desktop and a 375 px phone.
 * The steps share pages and run in order; each leaves a screenshot and the console log in
 * tests/e2e/artifacts/<test name>/ when it fails.
 */
import { mlflowAs, mlflowUser } from '../support/mlflow-direct.js';
import { accounts } from '../support/oidc-provider.js';
import { useStack, type ApiSession } from '../support/stack.js';
import { checkA11yInEveryVariant } from './support/a11y.js';
import { withArtifacts } from './support/artifacts.js';
import { eventually, expectText, expectTextContaining, isFocused } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { appErrors, newPage, signedOutProbe, type Page } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const FRANK = 'frank@example.org';
const FRANK_PASSWORD = 'frank-e2e-password-1234';
const IVAN = 'ivan@example.org';
const IVAN_PASSWORD = 'ivan-e2e-password-1234';
const HEIDI = 'heidi@example.org';
const EXPERIMENT = 'invited/exp ü';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: false }, startE2eStack);
let frankApi: ApiSession;
let experimentId: string;
let frank: Page;
let ivan: Page;

beforeAll(async () => {
  frankApi = await stack().signIn('frank');
  expect((await frankApi.register(FRANK_PASSWORD)).status).toBe(201);
  // Frank creates the experiment as himself, so MLflow gives him MANAGE on it.
  const created = await mlflowAs(stack().mlflow, FRANK, FRANK_PASSWORD, 'POST', '/api/2.0/mlflow/experiments/create', {
    name: EXPERIMENT,
  });
  expect(created.status).toBe(200);
  experimentId = String(created.body.experiment_id);
  frank = await newPage(browser());
  ivan = await newPage(browser());
});

const main = (page: Page) => page.locator('#main');
const dialog = () => frank.getByRole('dialog', { name: `Manage access to ${EXPERIMENT}` });
const rowOf = (username: string) =>
  dialog()
    .locator('.person')
    .filter({ has: frank.getByLabel(`Permission for ${username}`) });
const lookup = (username: string) =>
  frankApi.call('GET', `/api/experiment/${experimentId}/collaborators/${encodeURIComponent(username)}`);
const ivanCan = async () => ({
  read: (
    await mlflowAs(
      stack().mlflow,
      IVAN,
      IVAN_PASSWORD,
      'GET',
      `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`,
    )
  ).status,
  createRun: (
    await mlflowAs(stack().mlflow, IVAN, IVAN_PASSWORD, 'POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experimentId,
    })
  ).status,
});

async function share(email: string, permission: string) {
  await dialog().getByLabel('Email address').fill(email);
  await dialog().getByLabel('Permission', { exact: true }).selectOption(permission);
  await dialog().getByRole('button', { name: 'Share', exact: true }).click();
}

describe('when frank shares his experiment with people who have no MLflow account yet', () => {
  it('then sharing with ivan records an invitation, says so, and lists it as waiting for him to register', () =>
    withArtifacts(frank, undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'frank', accounts.frank.password);
      await page.goto(`${stack().baseUrl}/sharing`);
      await main(page)
        .getByRole('button', { name: `Manage access to ${EXPERIMENT}` })
        .click();
      await dialog().waitFor();

      await share(IVAN, 'READ');
      await expectTextContaining(
        dialog(),
        `${IVAN} has no MLflow account yet, so an invitation was recorded: they get Read access to ${EXPERIMENT} when they register with this address.`,
      );
      await expectTextContaining(rowOf(IVAN), 'Invited — waiting for them to register, until');
      expect(await rowOf(IVAN).locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
      await eventually(async () =>
        expect(await rowOf(IVAN).getByLabel(`Permission for ${IVAN}`).inputValue()).toBe('READ'),
      );

      expect(await mlflowUser(stack().mlflow, IVAN)).toBeNull();
      expect((await lookup(IVAN)).body.pending).toMatchObject({ permission: 'READ' });
      await checkA11yInEveryVariant(page, 'manage access dialog with an invitation', { include: 'dialog[open]' });
    }));

  it('then changing the invitation to EDIT in its row says what ivan will get, and the BFF holds it', () =>
    withArtifacts(frank, undefined, async () => {
      await rowOf(IVAN).getByLabel(`Permission for ${IVAN}`).selectOption('EDIT');
      await rowOf(IVAN)
        .getByRole('button', { name: `Save permission for ${IVAN}` })
        .click();
      await rowOf(IVAN).getByText(`${IVAN} will get Edit access when they register.`).waitFor();
      expect((await lookup(IVAN)).body.pending).toMatchObject({ permission: 'EDIT' });
    }));

  it('then revoking heidi’s invitation asks first, and afterwards the row and the invitation are gone', () =>
    withArtifacts(frank, undefined, async (page) => {
      await share(HEIDI, 'MANAGE');
      await rowOf(HEIDI).waitFor();
      await rowOf(HEIDI)
        .getByRole('button', { name: `Revoke invitation of ${HEIDI}` })
        .click();
      const confirm = page.getByRole('dialog', { name: `Revoke the invitation of ${HEIDI}?` });
      await confirm.waitFor();
      await expectTextContaining(confirm, `${HEIDI} will not get Manage access to ${EXPERIMENT} when they register.`);
      await checkA11yInEveryVariant(page, 'revoke invitation confirmation', { include: 'dialog[open]:last-of-type' });

      await confirm.getByRole('button', { name: 'Revoke invitation' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await dialog().getByText(`The invitation of ${HEIDI} to ${EXPERIMENT} was revoked.`).waitFor();
      await rowOf(HEIDI).waitFor({ state: 'detached' });
      await eventually(async () =>
        expect(await isFocused(dialog().getByRole('heading', { name: 'People with access' }))).toBe(true),
      );
      expect((await lookup(HEIDI)).status).toBe(404);
      // Ivan's invitation stays.
      await rowOf(IVAN).waitFor();
    }));
});

describe('when ivan registers', () => {
  it('then his account page says what was shared with him, and his own MLflow password can log runs in the experiment', () =>
    withArtifacts(ivan, undefined, async (page) => {
      await signInThroughProvider(page, stack().baseUrl, 'ivan', accounts.ivan.password);
      await expectText(main(page).locator('h1'), 'Create your MLflow account');
      await main(page).getByLabel('Password', { exact: true }).fill(IVAN_PASSWORD);
      await main(page).getByLabel('Confirm password', { exact: true }).fill(IVAN_PASSWORD);
      await main(page).getByRole('checkbox').check();
      await main(page).getByRole('button', { name: 'Create account' }).click();

      await page.waitForURL(`${stack().baseUrl}/account`);
      const shared = main(page).getByTestId('shared-with-you');
      await expectText(shared.getByRole('heading'), 'Shared with you');
      await expectTextContaining(shared.locator('li'), `Experiment ${EXPERIMENT}: Edit access, shared by ${FRANK}`);
      expect(await ivanCan()).toEqual({ read: 200, createRun: 200 });
      await checkA11yInEveryVariant(page, 'account page, shared with you');

      // The link leads to the Sharing page, which now lists the experiment as his.
      await shared.getByRole('link', { name: /Sharing page/ }).click();
      await page.waitForURL(`${stack().baseUrl}/sharing`);
      await expectTextContaining(main(page).getByRole('tabpanel', { name: 'Experiments' }), EXPERIMENT);
    }));

  it('then frank’s list shows ivan with his own Edit grant instead of an invitation', () =>
    withArtifacts(frank, undefined, async (page) => {
      await dialog().getByRole('button', { name: 'Close' }).click();
      await main(page)
        .getByRole('button', { name: `Manage access to ${EXPERIMENT}` })
        .click();
      await eventually(async () =>
        expect(await rowOf(IVAN).getByLabel(`Permission for ${IVAN}`).inputValue()).toBe('EDIT'),
      );
      expect(await rowOf(IVAN).textContent()).not.toContain('Invited');
      await rowOf(IVAN)
        .getByRole('button', { name: `Remove access of ${IVAN}` })
        .waitFor();
    }));

  it('then neither page threw an uncaught error or broke a Content-Security-Policy rule', () => {
    for (const page of [frank, ivan]) {
      // Expected: Chromium logs the 401 of GET /api/me before signing in as a failed load.
      expect(appErrors(page, stack(), signedOutProbe)).toEqual([]);
    }
  });
});
