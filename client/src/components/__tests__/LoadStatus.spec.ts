import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { reactive } from 'vue';
import { ApiError } from '../../api';
import LoadStatus from '../LoadStatus.vue';

const down = () => new ApiError(503, 'mlflow_unavailable', 'MLflow is down.');

/** A store's loading state, and a `load` that ends as the test says. */
function mountStatus(initial: { loaded: boolean; error: ApiError | null }, quietOnceLoaded = false) {
  const state = reactive({ loading: false, ...initial });
  const load = vi.fn(async () => {});
  const wrapper = mount(LoadStatus, { props: { state, load, what: 'your models', quietOnceLoaded } });
  return { state, load, wrapper };
}

describe('LoadStatus', () => {
  it('until first loaded, then it says what is loading; once loaded, nothing', async () => {
    const { state, wrapper } = mountStatus({ loaded: false, error: null });
    expect(wrapper.find('.loading-page').text()).toBe('Loading your models…');

    state.loaded = true;
    await flushPromises();
    expect(wrapper.text()).toBe('');
  });

  it('when loading failed, then the alert says why, and "Try again" loads again and is busy meanwhile', async () => {
    const { state, load, wrapper } = mountStatus({ loaded: false, error: down() });
    const alert = wrapper.find('[role="alert"]');
    expect(alert.find('.alert__title').text()).toBe('Your models could not be loaded');
    expect(alert.text()).toContain('MLflow is down.');

    state.loading = true;
    await alert.find('button').trigger('click');
    expect(load).toHaveBeenCalledTimes(1);
    expect(alert.find('button').attributes('aria-busy')).toBe('true');
  });

  it('when the alert is given a title of its own, then it says that instead of "… could not be loaded"', () => {
    const wrapper = mount(LoadStatus, {
      props: {
        state: { loaded: false, loading: false, error: down() },
        load: async () => {},
        what: 'who has access',
        failedTitle: 'The list of people could not be loaded',
      },
    });
    expect(wrapper.find('.alert__title').text()).toBe('The list of people could not be loaded');
  });

  it('when the session has ended, then sign-in is said to follow instead of "Try again"', () => {
    const { wrapper } = mountStatus({ loaded: false, error: new ApiError(401, 'session_expired', 'Sign in again.') });

    expect(wrapper.find('[role="alert"]').text()).toContain('Taking you to the sign-in page…');
    expect(wrapper.find('button').exists()).toBe(false);
  });

  it('when a reload fails once loaded, then the alert shows, unless the list is to stay quiet', () => {
    expect(mountStatus({ loaded: true, error: down() }).wrapper.find('[role="alert"]').exists()).toBe(true);
    expect(mountStatus({ loaded: true, error: down() }, true).wrapper.text()).toBe('');
  });
});
