import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api';
import { useSubmission } from '../../composables/useSubmission';
import SubmissionButton from '../SubmissionButton.vue';

function mountButton(props: { offered?: boolean; errorAbove?: boolean } = {}) {
  const action = useSubmission();
  const wrapper = mount(SubmissionButton, {
    props: { action, variant: 'secondary', busyText: 'Working on it', errorTitle: 'It was not done', ...props },
    attrs: { class: 'extra' },
    slots: { default: 'Do it' },
  });
  return { action, wrapper };
}

describe('SubmissionButton', () => {
  it('when pressed, then it says so; while the action runs it is busy', async () => {
    const { action, wrapper } = mountButton();
    await wrapper.find('button').trigger('click');
    expect(wrapper.emitted('click')).toHaveLength(1);

    action.pending.value = true;
    await wrapper.vm.$nextTick();
    const button = wrapper.find('.actions.extra button');
    expect(button.attributes('aria-busy')).toBe('true');
    expect(button.text()).toContain('Working on it');
  });

  it.each([
    [false, 'below'],
    [true, 'above'],
  ])('when the action failed (errorAbove %s), then its error is %s the button', async (errorAbove) => {
    const { action, wrapper } = mountButton({ errorAbove });
    action.error.value = new ApiError(503, 'mlflow_unavailable', 'MLflow is down.');
    await wrapper.vm.$nextTick();

    const html = wrapper.html();
    expect(html.indexOf('role="alert"') < html.indexOf('class="actions')).toBe(errorAbove);
    expect(wrapper.find('[role="alert"]').text()).toContain('It was not done');
  });

  it('when the button is no longer offered, then the error stays', async () => {
    const { action, wrapper } = mountButton({ offered: false });
    action.error.value = new ApiError(503, 'mlflow_unavailable', 'MLflow is down.');
    await wrapper.vm.$nextTick();

    expect(wrapper.find('button').exists()).toBe(false);
    expect(wrapper.find('[role="alert"]').text()).toContain('MLflow is down.');
  });
});
