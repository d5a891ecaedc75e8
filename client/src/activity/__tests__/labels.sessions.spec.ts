import { describe, expect, it } from 'vitest';
import { activityEntryFixture } from '../../testing/fakeBff';
import { describeActivity } from '../labels';

describe('describeActivity: sign-in sessions', () => {
  it.each([
    ['one', 'Signed out a sign-in session'],
    ['others', 'Signed out everywhere else'],
    ['password_change', 'Signed out everywhere else when changing the password'],
    [null, 'Signed out sign-in sessions'],
  ])('when sessions_end says %s, then it reads “%s”', (detail, words) => {
    expect(describeActivity(activityEntryFixture({ action: 'sessions_end', detail }))).toBe(words);
  });
});
