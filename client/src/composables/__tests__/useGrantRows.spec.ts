import { describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';
import { ApiError } from '../../api';
import { RBAC } from '../../testing/sharingFixtures';
import { useGrantRows, type GrantRowsSource, type ShareTarget } from '../useGrantRows';

const A: ShareTarget = { type: 'experiment', id: '1', name: 'a', capabilities: RBAC };
const B: ShareTarget = { type: 'experiment', id: '2', name: 'b', capabilities: RBAC };

/** A fetch that answers when the test says so, one call at a time. */
function deferredFetch() {
  const answers: ((rows: string[]) => void)[] = [];
  const fetch = vi.fn(() => new Promise<string[] | null>((resolve) => answers.push(resolve)));
  return { fetch, answer: (i: number, rows: string[]) => answers[i]!(rows) };
}

function setup(source: Partial<GrantRowsSource<string>> = {}, initial: ShareTarget | null = A) {
  const target = ref<ShareTarget | null>(initial);
  const grants = useGrantRows<string>(() => target.value, {
    fetch: async () => ['b', 'a'],
    failed: (e) => e as ApiError,
    order: (x, y) => x.localeCompare(y),
    ...source,
  });
  return { target, grants };
}

describe('useGrantRows', () => {
  it('when loaded, then the rows are shown in order and loading is over', async () => {
    const { grants } = setup();

    const loading = grants.shown.load();
    expect(grants.shown.loading.value).toBe(true);
    await loading;

    expect(grants.shown.rows.value).toEqual(['a', 'b']);
    expect(grants.shown.loading.value).toBe(false);
  });

  it('when the target changes during a load, then only the newest load’s rows are kept', async () => {
    const { fetch, answer } = deferredFetch();
    const { target, grants } = setup({ fetch });

    const first = grants.shown.load();
    target.value = B;
    const second = grants.shown.load();
    answer(1, ['b rows']);
    await second;
    answer(0, ['a rows']);
    await first;

    expect(grants.shown.rows.value).toEqual(['b rows']);
    expect(grants.shown.loading.value).toBe(false);
  });

  it('when the target cannot be listed, or there is none, then nothing is asked for', async () => {
    const fetch = vi.fn(async () => ['a']);
    await setup({ fetch, listable: () => false }).grants.shown.load();
    await setup({ fetch }, null).grants.shown.load();

    expect(fetch).not.toHaveBeenCalled();
  });

  it('when a load fails, then `failed` says what loadError shows, if anything', async () => {
    const down = new ApiError(503, 'mlflow_unavailable', 'MLflow is down.');
    const shown = setup({ fetch: () => Promise.reject(down) }).grants.shown;
    const quiet = setup({ fetch: () => Promise.reject(down), failed: () => null }).grants.shown;

    await Promise.all([shown.load(), quiet.load()]);

    expect(shown.loadError.value).toBe(down);
    expect(quiet.loadError.value).toBeNull();
    expect(quiet.loading.value).toBe(false);
  });

  it('when an answer comes after the dialog moved on, then whileOn leaves the rows alone; without a target, actions throw', () => {
    const { target, grants } = setup();
    const update = vi.fn();

    grants.whileOn(A, update);
    target.value = B;
    grants.whileOn(A, update);
    target.value = null;

    expect(update).toHaveBeenCalledTimes(1);
    expect(() => grants.current()).toThrow('Choose what to share first.');
  });
});
