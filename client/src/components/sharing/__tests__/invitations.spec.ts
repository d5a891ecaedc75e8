import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { AccessRow } from '../../../composables/useCollaborators';
import { formatDate } from '../../../format/dates';
import { lookupSummary } from '../../../sharing/labels';
import { freshPiniaPerTest } from '../../../testing/pages';
import { collaboratorsStub, RBAC } from '../../../testing/sharingFixtures';
import CollaboratorList from '../CollaboratorList.vue';
import RemoveAccessDialog from '../RemoveAccessDialog.vue';
import ShareForm from '../ShareForm.vue';

const pinia = freshPiniaPerTest();

const IVAN = 'ivan@example.org';
const UNTIL = '2026-12-30T12:00:00.000Z';
const invitation: AccessRow = { username: IVAN, permission: 'READ', via: 'invitation', role: null, expires_at: UNTIL };
const text = (wrapper: { text(): string }) => wrapper.text().replace(/\s+/g, ' ');

describe('ShareForm, when the email has no account', () => {
  it('when the answer is 202 pending, then the message says an invitation was recorded, with until when', async () => {
    const share = vi.fn(async () => ({
      username: IVAN,
      permission: 'EDIT' as const,
      pending: true as const,
      expires_at: UNTIL,
    }));
    const wrapper = mount(ShareForm, {
      props: { target: { type: 'experiment', id: '7', name: 'churn', capabilities: RBAC }, share },
      attachTo: document.body,
    });

    await wrapper.find('input').setValue('Ivan@Example.org');
    await wrapper.find('select').setValue('EDIT');
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(wrapper.find('[aria-live="polite"]').text()).toBe(
      `${IVAN} has no MLflow account yet, so an invitation was recorded: they get Edit access to churn when they register with this address. The invitation waits until ${formatDate(UNTIL)}.`,
    );
    expect((wrapper.find('input').element as HTMLInputElement).value).toBe('');
  });
});

describe('CollaboratorList with an invitation', () => {
  function mountList(rows: AccessRow[]) {
    const people = collaboratorsStub({ rows });
    const wrapper = mount(CollaboratorList, {
      props: { people, type: 'experiment', permissions: RBAC.permissions, notice: null },
      global: { plugins: [pinia()] },
      attachTo: document.body,
    });
    return { people, wrapper };
  }

  it('when an email is invited, then its row says it waits for them to register and until when, with change and revoke', async () => {
    const { people, wrapper } = mountList([invitation]);
    const row = wrapper.find('.person');

    expect(text(row)).toContain(`${IVAN} Invited — waiting for them to register, until ${formatDate(UNTIL)}`);
    expect(row.find('time').attributes('datetime')).toBe(UNTIL);
    expect((row.find('select').element as HTMLSelectElement).value).toBe('READ');
    const revoke = row.findAll('button').find((b) => b.text().startsWith('Revoke'))!;
    expect(revoke.text()).toBe(`Revoke invitation of ${IVAN}`);

    await row.find('select').setValue('MANAGE');
    await row.find('form').trigger('submit');
    expect(people.share).toHaveBeenCalledWith(IVAN, 'MANAGE');

    await revoke.trigger('click');
    expect(wrapper.emitted('remove')).toEqual([[IVAN]]);
  });
});

describe('RemoveAccessDialog for an invitation', () => {
  it('when opened for an invited email, then it asks to revoke the invitation, and reports the revocation', async () => {
    const remove = vi.fn(async () => {});
    const wrapper = mount(RemoveAccessDialog, {
      props: {
        open: true,
        people: { ...collaboratorsStub({ rows: [invitation] }), remove },
        resource: 'churn',
        username: IVAN,
      },
      attachTo: document.body,
    });

    expect(wrapper.find('h2').text()).toBe(`Revoke the invitation of ${IVAN}?`);
    expect(text(wrapper)).toContain(`${IVAN} will not get Read access to churn when they register.`);
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Revoke invitation')!
      .trigger('click');
    await flushPromises();

    expect(remove).toHaveBeenCalledWith(IVAN);
    expect(wrapper.emitted('removed')).toEqual([[`The invitation of ${IVAN} to churn was revoked.`]]);
  });
});

describe('lookupSummary for an invited email', () => {
  it('when the look-up has a pending grant, then it says they are invited, with what and until when', () => {
    expect(
      lookupSummary(
        {
          username: IVAN,
          permission: null,
          effective_permission: 'NO_PERMISSIONS',
          pending: { permission: 'EDIT', expires_at: UNTIL },
        },
        'registered_model',
      ),
    ).toBe(
      `${IVAN} has no MLflow account yet. They are invited: Edit access on this model when they register, until ${formatDate(UNTIL)}.`,
    );
  });
});
