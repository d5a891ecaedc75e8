import { describe, expect, it } from 'vitest';
import { activityEntryFixture } from '../../testing/fakeBff';
import { actorLabel, describeActivity, outcomeOf, targetLabel } from '../labels';

const experiment = { type: 'experiment' as const, id: '1', name: 'team/exp' };

describe('actorLabel', () => {
  it('when the person did it, then "You"; the service, then "This service"; anyone else, by email', () => {
    expect(actorLabel({ email: 'ada@example.org', you: true, service: false })).toBe('You');
    expect(actorLabel({ email: null, you: false, service: true })).toBe('This service');
    expect(actorLabel({ email: 'grace@example.org', you: false, service: false })).toBe('grace@example.org');
    expect(actorLabel({ email: null, you: false, service: false })).toBe('Someone else');
  });
});

describe('targetLabel', () => {
  it('when the target has a name, then it is named; else it is given by id', () => {
    expect(targetLabel(experiment)).toBe('experiment “team/exp”');
    expect(targetLabel({ type: 'registered_model', id: 'churn', name: 'churn' })).toBe('model “churn”');
    expect(targetLabel({ type: 'experiment', id: '17', name: null })).toBe('experiment with ID 17');
    expect(targetLabel({ type: 'prompt', id: 'greeting', name: null })).toBe('prompt “greeting”');
    expect(targetLabel({ type: 'account', id: 'ada@example.org', name: null })).toBe('the account ada@example.org');
  });
});

describe('describeActivity', () => {
  it.each([
    ['register', 'Registered the account ada@example.org'],
    ['claim', 'Claimed the account ada@example.org'],
    ['password_change', 'Changed the password'],
    ['vault_repair', 'Stored a matching copy of the password in Vault'],
    ['reenable', 'Enabled the account again with a new password'],
    ['delete', 'Deleted the account ada@example.org'],
    ['deprovision', 'Disabled the account'],
    ['bind', 'An operator bound the account ada@example.org to your sign-in'],
    ['unbind', 'An operator unbound the account ada@example.org from your sign-in'],
  ])('when the action is %s, then it reads “%s”', (action, words) => {
    expect(describeActivity(activityEntryFixture({ action }))).toBe(words);
  });

  it('when the service disabled the account and says why, then the reason is in words', () => {
    const entry = activityEntryFixture({ action: 'deprovision', detail: 'inactive' });
    expect(describeActivity(entry)).toBe('Disabled the account (not signed in for a long time)');
    expect(describeActivity({ ...entry, detail: 'ineligible' })).toBe(
      'Disabled the account (no longer eligible for an account)',
    );
  });

  it('when someone was given, changed or lost a permission, then the sentence names them, the permission and the resource', () => {
    const share = activityEntryFixture({ target: experiment, subject: 'grace@example.org', permission: 'EDIT' });

    expect(describeActivity({ ...share, action: 'share_grant' })).toBe(
      'Gave grace@example.org Edit access to experiment “team/exp”',
    );
    expect(describeActivity({ ...share, action: 'share_change', permission: 'READ' })).toBe(
      'Changed grace@example.org’s access to experiment “team/exp” to Read',
    );
    expect(describeActivity({ ...share, action: 'share_revoke', permission: null })).toBe(
      'Removed grace@example.org’s access to experiment “team/exp”',
    );
  });

  it('when a sharing entry is about the person themself, then it says "you", whatever the letter case', () => {
    const entry = activityEntryFixture({
      action: 'share_grant',
      actor: { email: 'grace@example.org', you: false, service: false },
      target: { type: 'prompt', id: 'greeting', name: 'greeting' },
      subject: 'Ada@Example.org',
      permission: 'MANAGE',
    });

    expect(describeActivity(entry, 'ada@example.org')).toBe('Gave you Manage access to prompt “greeting”');
    expect(describeActivity({ ...entry, action: 'share_revoke' }, 'ada@example.org')).toBe(
      'Removed your access to prompt “greeting”',
    );
  });

  it('when a newer BFF sends an action or permission this page does not know, then it is shown as it is', () => {
    const entry = activityEntryFixture({ action: 'rename', target: experiment });
    expect(describeActivity(entry)).toBe('“rename” on experiment “team/exp”');
    expect(
      describeActivity({ ...entry, action: 'share_grant', subject: 'grace@example.org', permission: 'OWN' as never }),
    ).toBe('Gave grace@example.org OWN access to experiment “team/exp”');
  });
});

describe('outcomeOf', () => {
  it('when the outcome is ok, then it succeeded; otherwise it failed with that code', () => {
    expect(outcomeOf(activityEntryFixture())).toEqual({ ok: true });
    expect(outcomeOf(activityEntryFixture({ outcome: 'mlflow_unavailable' }))).toEqual({
      ok: false,
      code: 'mlflow_unavailable',
    });
  });
});
