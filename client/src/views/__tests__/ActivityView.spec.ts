import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import {
  activityEntryFixture,
  apiError,
  configFixture,
  fakeBff,
  json,
  meFixture,
  type Route,
} from '../../testing/fakeBff';
import { freshPiniaPerTest, mountPage } from '../../testing/pages';
import ActivityView from '../ActivityView.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/activity' }));

const pinia = freshPiniaPerTest();

const NEWEST = 'GET /api/me/activity?limit=50';
const OLDER = 'GET /api/me/activity?limit=50&before=40';

const newest = {
  entries: [
    activityEntryFixture({
      id: '42',
      at: '2026-11-30T12:00:00.000Z',
      action: 'share_grant',
      target: { type: 'experiment', id: '1', name: 'team/exp' },
      subject: 'grace@example.org',
      permission: 'EDIT',
    }),
    activityEntryFixture({
      id: '41',
      actor: { email: null, you: false, service: true },
      action: 'deprovision',
      detail: 'inactive',
    }),
    activityEntryFixture({
      id: '40',
      actor: { email: 'grace@example.org', you: false, service: false },
      action: 'share_revoke',
      target: { type: 'registered_model', id: 'churn', name: null },
      subject: 'ada@example.org',
      outcome: 'mlflow_unavailable',
    }),
  ],
  next_before: '40',
};
const older = {
  entries: [
    activityEntryFixture({ id: '39', action: 'password_change' }),
    activityEntryFixture({ id: '38', action: 'register' }),
  ],
  next_before: null,
};

async function mountActivity(routes: Record<string, Route | Response> = {}) {
  const bff = fakeBff({
    'GET /api/me': json(200, meFixture()),
    'GET /api/config': json(200, configFixture()),
    [NEWEST]: json(200, newest),
    [OLDER]: json(200, older),
    ...routes,
  });
  return { bff, ...(await mountPage(ActivityView, '/activity', pinia())) };
}

type Wrapper = Awaited<ReturnType<typeof mountActivity>>['wrapper'];
const rows = (wrapper: Wrapper) => wrapper.findAll('tbody tr');
const cells = (wrapper: Wrapper) => rows(wrapper).map((row) => row.findAll('td').map((td) => td.text()));
const showOlder = (wrapper: Wrapper) => wrapper.findAll('button').find((b) => b.text().startsWith('Show older'));

describe('ActivityView', () => {
  it('when opened, then each entry says when, who, what happened in words, and how it ended', async () => {
    const { wrapper } = await mountActivity();

    expect(wrapper.find('h1').text()).toBe('Activity');
    expect(wrapper.findAll('thead th').map((th) => [th.text(), th.attributes('scope')])).toEqual([
      ['When', 'col'],
      ['Who', 'col'],
      ['What happened', 'col'],
      ['Outcome', 'col'],
    ]);
    const [first, second, third] = cells(wrapper);
    expect(first!.slice(1)).toEqual([
      'You',
      'Gave grace@example.org Edit access to experiment “team/exp”',
      '✓ Succeeded',
    ]);
    expect(second!.slice(1, 3)).toEqual(['This service', 'Disabled the account (not signed in for a long time)']);
    // About the person themself, on a model known only by its id (which is its name).
    expect(third!.slice(1, 3)).toEqual(['grace@example.org', 'Removed your access to model “churn”']);
    const time = rows(wrapper)[0]!.find('time');
    expect(time.attributes('datetime')).toBe('2026-11-30T12:00:00.000Z');
    expect(time.text()).toMatch(/2026/);
  });

  it('when an action failed, then the outcome says so in words with its code, not only in colour', async () => {
    const { wrapper } = await mountActivity();

    const outcome = rows(wrapper)[2]!.find('[data-outcome]');
    expect(outcome.attributes('data-outcome')).toBe('failed');
    expect(outcome.text()).toBe('✕ Failed: mlflow_unavailable');
    expect(outcome.find('[aria-hidden="true"]').text()).toBe('✕');
  });

  it('when "Show older" is pressed, then the next page is appended, focus moves to its first entry and a status says how many came', async () => {
    const { bff, wrapper } = await mountActivity();

    await showOlder(wrapper)!.trigger('click');
    await flushPromises();

    expect(bff.callsTo(OLDER)).toHaveLength(1);
    expect(cells(wrapper).map((row) => row[2])).toEqual([
      'Gave grace@example.org Edit access to experiment “team/exp”',
      'Disabled the account (not signed in for a long time)',
      'Removed your access to model “churn”',
      'Changed the password',
      'Registered the account ada@example.org',
    ]);
    expect(document.activeElement).toBe(wrapper.find('tr[data-entry-id="39"]').element);
    expect(wrapper.find('[role="status"]').text()).toBe('Showing 2 older entries. There are no older ones.');
    expect(showOlder(wrapper)).toBeUndefined();
  });

  it('when there are no older entries from the start, then there is no "Show older"', async () => {
    const { wrapper } = await mountActivity({ [NEWEST]: json(200, { ...newest, next_before: null }) });

    expect(rows(wrapper)).toHaveLength(3);
    expect(showOlder(wrapper)).toBeUndefined();
  });

  it('when the older page cannot be loaded, then the page says why, keeps the list and offers "Show older" again', async () => {
    const { wrapper } = await mountActivity({ [OLDER]: apiError(503, 'mlflow_unavailable', 'MLflow is down.') });

    await showOlder(wrapper)!.trigger('click');
    await flushPromises();

    const alert = wrapper.find('[role="alert"]');
    expect(alert.text()).toContain('Older entries could not be loaded');
    expect(alert.text()).toContain('MLflow is down.');
    expect(rows(wrapper)).toHaveLength(3);
    expect(showOlder(wrapper)).toBeDefined();
  });

  it('when nothing has happened yet, then the page says so instead of an empty table', async () => {
    const { wrapper } = await mountActivity({ [NEWEST]: json(200, { entries: [], next_before: null }) });

    expect(wrapper.find('table').exists()).toBe(false);
    expect(wrapper.find('[data-testid="activity-empty"]').text()).toContain('Nothing has happened yet.');
  });

  it('while the first page loads, then the page says so', async () => {
    const { wrapper } = await mountActivity({ [NEWEST]: () => new Promise<Response>(() => {}) });

    expect(wrapper.find('.loading-page').text()).toBe('Loading your activity…');
    expect(wrapper.find('table').exists()).toBe(false);
  });

  it('when the activity cannot be loaded, then the page says why, and "Try again" brings the list', async () => {
    const { bff, wrapper } = await mountActivity({
      [NEWEST]: apiError(502, 'mlflow_failed', 'MLflow answered oddly.'),
    });

    const alert = wrapper.find('[role="alert"]');
    expect(alert.text()).toContain('Your activity could not be loaded');
    expect(alert.text()).toContain('MLflow answered oddly.');

    bff.on(NEWEST, json(200, newest));
    await alert.find('button').trigger('click');
    await flushPromises();

    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
    expect(rows(wrapper)).toHaveLength(3);
  });
});
