import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, type Router } from 'vue-router';
import { createAppRouter } from '../../router';
import { fakeBff, json, meFixture } from '../../testing/fakeBff';
import { LEGACY, resourceFixture, resourceListFixture } from '../../testing/sharingFixtures';
import SharingView from '../SharingView.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/sharing' }));

let pinia: Pinia;
let router: Router;

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  document.body.innerHTML = '';
});

const experiments = resourceListFixture('experiment', [
  resourceFixture({ id: '1', name: 'team/exp ü' }),
  resourceFixture({ id: '2', name: 'forecast', permission: 'READ', can_manage: false }),
  resourceFixture({
    id: '*',
    name: null,
    permission: 'READ',
    can_manage: false,
    via: 'role',
    role: 'readers',
    pattern: true,
  }),
]);

async function mountAt(path: string, routes: Parameters<typeof fakeBff>[0] = {}) {
  const bff = fakeBff({
    'GET /api/me': json(200, meFixture()),
    'GET /api/resources?type=experiment': json(200, experiments),
    'GET /api/resources?type=registered_model': json(
      200,
      resourceListFixture('registered_model', [resourceFixture({ id: 'churn', name: 'churn' })]),
    ),
    'GET /api/resources?type=prompt': json(200, resourceListFixture('prompt', [])),
    ...routes,
  });
  router = createAppRouter(createMemoryHistory());
  await router.push(path);
  const wrapper = mount(SharingView, { global: { plugins: [pinia, router] }, attachTo: document.body });
  await flushPromises();
  return { bff, wrapper };
}

const tabs = (wrapper: Awaited<ReturnType<typeof mountAt>>['wrapper']) => wrapper.findAll('[role="tab"]');

describe('SharingView', () => {
  it('when opened, then the Experiments tab is selected and lists names, permissions and role patterns as what they are', async () => {
    const { bff, wrapper } = await mountAt('/sharing');

    expect(tabs(wrapper).map((t) => [t.text(), t.attributes('aria-selected'), t.attributes('tabindex')])).toEqual([
      ['Experiments', 'true', '0'],
      ['Models', 'false', '-1'],
      ['Prompts', 'false', '-1'],
    ]);
    const panel = wrapper.find(`#${tabs(wrapper)[0]!.attributes('aria-controls')}`);
    expect(panel.attributes('role')).toBe('tabpanel');
    expect(panel.attributes('aria-labelledby')).toBe(tabs(wrapper)[0]!.attributes('id'));
    const items = panel.findAll('.resource').map((li) => li.text().replace(/\s+/g, ' '));
    expect(items[0]).toContain('team/exp ü');
    expect(items[0]).toContain('Your permission: Manage');
    expect(items[2]).toContain('All experiments');
    expect(items[2]).toContain('(through role readers)');
    // Only what the person manages offers "Manage access".
    expect(panel.findAll('button').map((b) => b.text())).toEqual(['Manage access to team/exp ü']);
    expect(bff.callsTo('GET /api/resources?type=registered_model')).toHaveLength(0);
  });

  it('when typing in the filter, then only matching rows stay and the count is announced', async () => {
    const { wrapper } = await mountAt('/sharing');

    const filter = wrapper.find('input[type="search"]');
    expect(wrapper.find(`label[for="${filter.attributes('id')}"]`).text()).toBe('Filter experiments by name');
    await filter.setValue('EXP Ü');

    expect(wrapper.findAll('.resource').map((li) => li.find('.resource__name').text())).toEqual(['team/exp ü']);
    expect(wrapper.find('[role="status"]').text()).toBe('1 of 3 experiments match “EXP Ü”.');
  });

  it('when pressing the arrow keys, Home and End on the tabs, then focus and selection move, and each tab loads once', async () => {
    const { bff, wrapper } = await mountAt('/sharing');

    await tabs(wrapper)[0]!.trigger('keydown', { key: 'ArrowRight' });
    await flushPromises();
    expect(document.activeElement).toBe(tabs(wrapper)[1]!.element);
    expect(tabs(wrapper)[1]!.attributes('aria-selected')).toBe('true');
    expect(router.currentRoute.value.query.tab).toBe('models');
    expect(wrapper.find('[role="tabpanel"]:not([hidden])').text()).toContain('churn');

    await tabs(wrapper)[1]!.trigger('keydown', { key: 'End' });
    await flushPromises();
    expect(document.activeElement).toBe(tabs(wrapper)[2]!.element);
    expect(wrapper.find('[role="tabpanel"]:not([hidden])').text()).toContain(
      'You hold no permission on any prompt yet.',
    );

    await tabs(wrapper)[2]!.trigger('keydown', { key: 'ArrowRight' });
    await flushPromises();
    expect(document.activeElement).toBe(tabs(wrapper)[0]!.element);

    await tabs(wrapper)[0]!.trigger('keydown', { key: 'ArrowLeft' });
    await flushPromises();
    expect(tabs(wrapper)[2]!.attributes('aria-selected')).toBe('true');

    await tabs(wrapper)[2]!.trigger('keydown', { key: 'Home' });
    await flushPromises();
    expect(tabs(wrapper)[0]!.attributes('aria-selected')).toBe('true');
    expect(bff.callsTo('GET /api/resources?type=experiment')).toHaveLength(1);
    expect(bff.callsTo('GET /api/resources?type=registered_model')).toHaveLength(1);
  });

  it('when the address names a tab, then that tab opens', async () => {
    const { wrapper } = await mountAt('/sharing?tab=models');

    expect(tabs(wrapper)[1]!.attributes('aria-selected')).toBe('true');
  });

  it('when "Manage access" is pressed, then the dialog opens for that resource and lists who has access', async () => {
    const { wrapper } = await mountAt('/sharing', {
      'GET /api/experiment/1/collaborators': json(200, {
        collaborators: [{ username: 'ada@example.org', permission: 'MANAGE', via: 'direct', role: null }],
      }),
    });

    await wrapper.find('.resource button').trigger('click');
    await flushPromises();

    const dialog = wrapper.find('dialog[open]');
    expect(dialog.find('h2').text()).toBe('Manage access to team/exp ü');
    expect(dialog.text()).toContain('ada@example.org (you)');
  });

  it('when MLflow cannot list collaborators (2.x), then the dialog explains it and offers a lookup by email', async () => {
    const { bff, wrapper } = await mountAt('/sharing', {
      'GET /api/resources?type=experiment': json(200, { ...experiments, capabilities: LEGACY }),
    });

    await wrapper.find('.resource button').trigger('click');
    await flushPromises();

    const dialog = wrapper.find('dialog[open]');
    expect(dialog.find('[data-testid="lookup-note"]').text()).toContain('cannot list who has access');
    expect(dialog.find('h3 + form button[type="submit"]').exists()).toBe(true);
    expect(dialog.findAll('option').map((o) => o.attributes('value'))).toEqual(['READ', 'EDIT', 'MANAGE']);
    expect(bff.calls.some((c) => c.url.endsWith('/collaborators'))).toBe(false);
  });
});
