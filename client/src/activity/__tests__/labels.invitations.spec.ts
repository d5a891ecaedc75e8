import { describe, expect, it } from 'vitest';
import { activityEntryFixture } from '../../testing/fakeBff';
import { describeActivity } from '../labels';

const target = { type: 'experiment' as const, id: '7', name: 'team/exp' };
const about = (action: string, permission: 'READ' | 'EDIT' | null = 'READ') =>
  activityEntryFixture({ action, target, subject: 'ivan@example.org', permission });

describe('describeActivity for invitations', () => {
  it.each([
    ['invite', 'Invited ivan@example.org (no account yet) with Read access to experiment “team/exp”'],
    ['invite_change', 'Changed the invitation of ivan@example.org to experiment “team/exp” to Read'],
    ['invite_revoke', 'Revoked the invitation of ivan@example.org to experiment “team/exp”'],
    ['invite_apply', 'Applied the invitation: gave ivan@example.org Read access to experiment “team/exp”'],
    ['invite_expire', 'The invitation of ivan@example.org to experiment “team/exp” expired'],
  ])('when the action is %s, then it reads: %s', (action, sentence) => {
    expect(describeActivity(about(action))).toBe(sentence);
  });

  it('when the invitation applied was the reader’s own, then it says "you"', () => {
    expect(describeActivity(about('invite_apply', 'EDIT'), 'ivan@example.org')).toBe(
      'Applied the invitation: gave you Edit access to experiment “team/exp”',
    );
  });
});
