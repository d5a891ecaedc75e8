import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../api';
import type { Collaborators } from '../../../composables/useCollaborators';
import { freshPiniaPerTest } from '../../../testing/pages';
import { collaboratorsStub as people, RBAC } from '../../../testing/sharingFixtures';
import CollaboratorList from '../CollaboratorList.vue';

const pinia = freshPiniaPerTest();

function mountList(collaborators: Collaborators, notice: string | null = null) {
  return mount(CollaboratorList, {
    props: { people: collaborators, type: 'prompt', permissions: RBAC.permissions, notice },
    global: { plugins: [pinia()] },
    attachTo: document.body,
  });
}

describe('CollaboratorList', () => {
  it('when nobody has a grant, then it says so for the resource type; in lookup mode it says how to find people', () => {
    expect(mountList(people()).text()).toContain('People with access');
    expect(mountList(people()).text()).toContain('Nobody has a grant on this prompt.');
    const lookup = mountList(people({ mode: 'lookup' }));
    expect(lookup.find('h3').text()).toBe('People you looked up or shared with');
    expect(lookup.text()).toContain('Nobody yet: look someone up or share with them above.');
  });

  it('when the list is loading, then a spinner says so', () => {
    expect(
      mountList(people({ loading: true }))
        .find('.loading-page')
        .text(),
    ).toBe('Loading who has access…');
  });

  it('when loading failed, then the server’s words are an alert with Try again, which loads again', async () => {
    const collaborators = people({ loadError: new ApiError(503, 'mlflow_unavailable', 'MLflow is down.') });
    const wrapper = mountList(collaborators);

    expect(wrapper.find('[role="alert"]').text()).toContain('MLflow is down.');
    await wrapper.find('[role="alert"] button').trigger('click');
    expect(collaborators.load).toHaveBeenCalledTimes(1);
  });

  it('when loading failed because the session ended, then there is nothing to try again', () => {
    const wrapper = mountList(people({ loadError: new ApiError(401, 'session_expired', 'Sign in again.') }));

    expect(wrapper.find('[role="alert"] button').exists()).toBe(false);
  });

  it('when a row asks to remove someone, then the list passes it on; a notice is announced; the heading can take focus', async () => {
    const wrapper = mountList(
      people({ rows: [{ username: 'grace@example.org', permission: 'READ', via: 'direct', role: null }] }),
      'Done.',
    );

    await wrapper
      .findAll('button')
      .find((b) => b.text().startsWith('Remove'))!
      .trigger('click');
    expect(wrapper.emitted('remove')).toEqual([['grace@example.org']]);
    expect(wrapper.find('[role="status"]').text()).toBe('Done.');
    wrapper.vm.focusHeading();
    expect(document.activeElement).toBe(wrapper.find('h3').element);
  });
});
