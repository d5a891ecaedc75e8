import { describe, expect, it } from 'vitest';
import { activityEntryFixture } from '../../testing/fakeBff';
import { describeActivity } from '../labels';

describe('describeActivity: groups', () => {
  const group = { type: 'group' as const, id: 'realm_role:team-vision', name: 'oidc-group:realm_role:team-vision' };

  it('when the person joined a group role at sign-in, then it says so about them', () => {
    const entry = activityEntryFixture({ action: 'group_join', target: group, subject: 'ada@example.org' });
    expect(describeActivity(entry, 'ada@example.org')).toBe(
      'Added you to the group team-vision (realm role) at sign-in',
    );
  });

  it('when they left with their account disabled, then the reason is named', () => {
    const entry = activityEntryFixture({
      action: 'group_leave',
      target: group,
      subject: 'ada@example.org',
      detail: 'deprovision',
    });
    expect(describeActivity(entry, 'ada@example.org')).toBe(
      'Removed you from the group team-vision (realm role) with the account',
    );
  });

  it('when a manager shared with a group, then the group and the permission are named', () => {
    const entry = activityEntryFixture({
      action: 'group_grant',
      target: { type: 'experiment', id: '7', name: 'vision' },
      subject: 'realm_role:team-vision',
      permission: 'READ',
    });
    expect(describeActivity(entry)).toMatch(/^Gave the group team-vision \(realm role\) .* access to .*“vision”$/);
  });
});
