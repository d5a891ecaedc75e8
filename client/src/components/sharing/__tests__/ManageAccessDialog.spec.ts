import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { ShareTarget } from '../../../composables/useCollaborators';
import { useAccountStore } from '../../../stores/account';
import { apiError, fakeBff, json, meFixture, type Route } from '../../../testing/fakeBff';
import { freshPiniaPerTest } from '../../../testing/pages';
import { LEGACY, RBAC } from '../../../testing/sharingFixtures';
import ManageAccessDialog from '../ManageAccessDialog.vue';

vi.mock('../../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/sharing' }));

const pinia = freshPiniaPerTest();

const PROMPT = 'summary prompt/ü';
const BASE = `/api/prompt/${encodeURIComponent(PROMPT)}/collaborators`;
const GRACE = 'grace@example.org';
const GRACE_PATH = `${BASE}/${encodeURIComponent(GRACE)}`;

const target = (capabilities = RBAC): ShareTarget => ({ type: 'prompt', id: PROMPT, name: PROMPT, capabilities });

const listed = json(200, {
  collaborators: [
    { username: 'ada@example.org', permission: 'MANAGE', via: 'direct', role: null },
    { username: GRACE, permission: 'EDIT', via: 'direct', role: null },
    { username: GRACE, permission: 'READ', via: 'role', role: 'readers' },
  ],
});

async function mountDialog(routes: Record<string, Route | Response> = {}, capabilities = RBAC) {
  const bff = fakeBff({ 'GET /api/me': json(200, meFixture()), [`GET ${BASE}`]: listed, ...routes });
  await useAccountStore().load();
  const wrapper = mount(ManageAccessDialog, {
    props: { target: target(capabilities), open: true },
    global: { plugins: [pinia()] },
    attachTo: document.body,
  });
  await flushPromises();
  return { bff, wrapper };
}

const mainDialog = (w: VueWrapper) => w.findAll('dialog')[0]!;
const confirmDialog = (w: VueWrapper) => w.findAll('dialog')[1]!;
const button = (w: { findAll: VueWrapper['findAll'] }, text: string) =>
  w.findAll('button').find((b) => b.text().startsWith(text))!;
const rowOf = (w: VueWrapper, username: string) =>
  mainDialog(w)
    .findAll('.person')
    .find((p) => p.find('.person__name').text() === username && p.find('select').exists())!;

describe('ManageAccessDialog on MLflow 3.13+', () => {
  it('when opened, then it lists everyone, role grants read-only, and offers the server’s permissions with descriptions', async () => {
    const { wrapper } = await mountDialog();

    const dialog = mainDialog(wrapper);
    expect(dialog.attributes('open')).toBeDefined();
    expect(dialog.find('h2').text()).toBe(`Manage access to ${PROMPT}`);
    const people = dialog.findAll('.person').map((p) => p.text().replace(/\s+/g, ' '));
    expect(people).toHaveLength(3);
    expect(people[0]).toContain('ada@example.org (you)');
    expect(people[2]).toContain('Read through role readers');
    expect(dialog.findAll('.person')[2]!.find('select').exists()).toBe(false);
    const options = dialog
      .find('.share-form select')
      .findAll('option')
      .map((o) => o.text());
    expect(options).toEqual([
      'Read — view it',
      'Use — view and use it without editing (e.g. through the AI gateway)',
      'Edit — view and change it',
      'Manage — change, delete and share it',
    ]);
    expect(document.activeElement).toBe(dialog.find('input[type="email"]').element);
  });

  it('when sharing without an email address, then the field says so and nothing is sent', async () => {
    const { bff, wrapper } = await mountDialog();

    await mainDialog(wrapper).find('.share-form').trigger('submit');

    const input = mainDialog(wrapper).find('input[type="email"]');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(
      mainDialog(wrapper)
        .find(`#${input.attributes('aria-describedby')}`)
        .text(),
    ).toBe('Enter the email address of the person.');
    expect(bff.calls.filter((c) => c.method === 'PUT')).toEqual([]);
  });

  it('when sharing with someone, then the button is busy, then PUT is sent with encoded ids, they appear and the success is announced', async () => {
    let answer!: (r: Response) => void;
    const ian = 'ian+o’brien@example.org';
    const { bff, wrapper } = await mountDialog({
      [`PUT ${BASE}/${encodeURIComponent(ian)}`]: () => new Promise<Response>((resolve) => (answer = resolve)),
    });
    const dialog = mainDialog(wrapper);

    await dialog.find('input[type="email"]').setValue(` ${ian} `);
    await dialog.find('.share-form select').setValue('USE');
    expect(dialog.find('.share-form .field__hint').text()).toBe(
      'Use: view and use it without editing (e.g. through the AI gateway).',
    );
    await dialog.find('.share-form').trigger('submit');

    const share = button(dialog, 'Share');
    expect(share.attributes('aria-busy')).toBe('true');
    expect(share.attributes('disabled')).toBeDefined();
    answer(json(201, { username: ian, permission: 'USE' }));
    await flushPromises();

    expect(bff.calls.find((c) => c.method === 'PUT')?.body).toEqual({ permission: 'USE' });
    expect(dialog.find('.share-form [aria-live="polite"]').text()).toBe(`${ian} now has Use access to ${PROMPT}.`);
    expect((dialog.find('input[type="email"]').element as HTMLInputElement).value).toBe('');
    expect(rowOf(wrapper, ian).find('select').element.value).toBe('USE');
  });

  it('when the person has no MLflow account, then the alert asks to have them register first', async () => {
    const { wrapper } = await mountDialog({
      [`PUT ${GRACE_PATH}`]: apiError(
        404,
        'user_not_registered',
        'grace@example.org has no MLflow account: they must register first.',
      ),
    });

    await mainDialog(wrapper).find('input[type="email"]').setValue(GRACE);
    await mainDialog(wrapper).find('.share-form').trigger('submit');
    await flushPromises();

    expect(mainDialog(wrapper).find('.share-form [role="alert"]').text()).toContain(
      'grace@example.org has no MLflow account yet: ask them to register first.',
    );
  });

  it('when changing someone’s permission in their row, then Save sends it and the row confirms it', async () => {
    const { bff, wrapper } = await mountDialog({
      [`PUT ${GRACE_PATH}`]: json(200, { username: GRACE, permission: 'MANAGE' }),
    });
    const row = rowOf(wrapper, GRACE);

    expect(button(row, 'Save').attributes('disabled')).toBeDefined();
    expect(row.find('label').text()).toBe(`Permission for ${GRACE}`);
    await row.find('select').setValue('MANAGE');
    await row.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo(`PUT ${GRACE_PATH}`)[0]?.body).toEqual({ permission: 'MANAGE' });
    expect(rowOf(wrapper, GRACE).find('[aria-live="polite"]').text()).toBe(`${GRACE} now has Manage access.`);
  });

  it('when lowering the last manager is refused (409), then the row shows why and goes back to what it was', async () => {
    const { wrapper } = await mountDialog({
      [`PUT ${BASE}/${encodeURIComponent('ada@example.org')}`]: apiError(
        409,
        'last_manager',
        'This is the last MANAGE grant on this resource.',
      ),
    });
    const row = rowOf(wrapper, 'ada@example.org');

    await row.find('select').setValue('READ');
    await row.find('form').trigger('submit');
    await flushPromises();

    expect(row.find('[role="alert"]').text()).toContain('This is the last MANAGE grant on this resource.');
    expect(row.find('select').element.value).toBe('MANAGE');
  });

  it('when removing someone, then a confirmation is asked; Cancel keeps them, confirming removes them and says so', async () => {
    const { bff, wrapper } = await mountDialog({ [`DELETE ${GRACE_PATH}`]: json(204) });

    await button(rowOf(wrapper, GRACE), 'Remove').trigger('click');
    await flushPromises();
    expect(confirmDialog(wrapper).attributes('open')).toBeDefined();
    expect(confirmDialog(wrapper).text()).toContain('They keep what their roles give them: Read through role readers.');
    await button(confirmDialog(wrapper), 'Cancel').trigger('click');
    await flushPromises();
    expect(confirmDialog(wrapper).attributes('open')).toBeUndefined();
    expect(bff.callsTo(`DELETE ${GRACE_PATH}`)).toHaveLength(0);

    await button(rowOf(wrapper, GRACE), 'Remove').trigger('click');
    await flushPromises();
    await button(confirmDialog(wrapper), 'Remove access').trigger('click');
    await flushPromises();

    expect(bff.callsTo(`DELETE ${GRACE_PATH}`)).toHaveLength(1);
    expect(confirmDialog(wrapper).attributes('open')).toBeUndefined();
    expect(rowOf(wrapper, GRACE)).toBeUndefined();
    expect(mainDialog(wrapper).text()).toContain(`${GRACE} no longer has access of their own to ${PROMPT}.`);
    expect(document.activeElement?.tagName).toBe('H3');
  });

  it('when removal is refused (403), then the confirmation shows the server’s words and stays open', async () => {
    const { wrapper } = await mountDialog({
      [`DELETE ${GRACE_PATH}`]: apiError(403, 'forbidden', 'You can only share what you manage.'),
      'GET /api/resources?type=prompt': json(200, { type: 'prompt', capabilities: RBAC, resources: [] }),
    });

    await button(rowOf(wrapper, GRACE), 'Remove').trigger('click');
    await flushPromises();
    await button(confirmDialog(wrapper), 'Remove access').trigger('click');
    await flushPromises();

    expect(confirmDialog(wrapper).find('[role="alert"]').text()).toContain('You can only share what you manage.');
    expect(confirmDialog(wrapper).attributes('open')).toBeDefined();
  });

  it('when closed and opened again, then the forms start empty and the list is loaded again', async () => {
    const { bff, wrapper } = await mountDialog();
    await mainDialog(wrapper).find('.share-form').trigger('submit');
    await mainDialog(wrapper).find('input[type="email"]').setValue('half typed');

    await wrapper.setProps({ open: false });
    await wrapper.setProps({ open: true });
    await flushPromises();

    const input = mainDialog(wrapper).find('input[type="email"]');
    expect((input.element as HTMLInputElement).value).toBe('');
    expect(input.attributes('aria-invalid')).toBeUndefined();
    expect(mainDialog(wrapper).find('.share-form .field__error').exists()).toBe(false);
    expect(document.activeElement).toBe(input.element);
    expect(bff.callsTo(`GET ${BASE}`)).toHaveLength(2);
  });

  it('when the list answers 501, then the dialog switches to looking people up', async () => {
    const { wrapper } = await mountDialog({
      [`GET ${BASE}`]: apiError(501, 'not_supported_by_mlflow', 'Look people up one by one.'),
    });

    expect(mainDialog(wrapper).find('[data-testid="lookup-note"]').exists()).toBe(true);
    expect(mainDialog(wrapper).find('[role="alert"]').exists()).toBe(false);
  });
});

describe('ManageAccessDialog before MLflow 3.13', () => {
  it('when someone is looked up by email, then what they have is said and their grant can be changed', async () => {
    const { bff, wrapper } = await mountDialog(
      { [`GET ${GRACE_PATH}`]: json(200, { username: GRACE, permission: 'READ', effective_permission: 'READ' }) },
      LEGACY,
    );
    const dialog = mainDialog(wrapper);
    const lookup = dialog.findAll('form').find((f) => f.text().includes('Look up'))!;

    await lookup.find('input').setValue(GRACE);
    await lookup.trigger('submit');
    await flushPromises();

    expect(lookup.find('[aria-live="polite"]').text()).toBe(`${GRACE} has Read access on this prompt.`);
    expect(
      rowOf(wrapper, GRACE)
        .find('select')
        .findAll('option')
        .map((o) => o.attributes('value')),
    ).toEqual(['READ', 'EDIT', 'MANAGE']);
    expect(bff.calls.some((c) => c.url === `${BASE}`)).toBe(false);
  });

  it('when the person looked up has no grant, then the page says so', async () => {
    const { wrapper } = await mountDialog(
      {
        [`GET ${GRACE_PATH}`]: json(200, { username: GRACE, permission: null, effective_permission: 'NO_PERMISSIONS' }),
      },
      LEGACY,
    );
    const lookup = mainDialog(wrapper)
      .findAll('form')
      .find((f) => f.text().includes('Look up'))!;

    await lookup.find('input').setValue(GRACE);
    await lookup.trigger('submit');
    await flushPromises();

    expect(lookup.find('[aria-live="polite"]').text()).toBe(`${GRACE} has no permission of their own on this prompt.`);
    expect(mainDialog(wrapper).findAll('.person')).toHaveLength(0);
  });
});
