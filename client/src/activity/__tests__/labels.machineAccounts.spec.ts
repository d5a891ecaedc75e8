import { describe, expect, it } from 'vitest';
import { activityEntryFixture } from '../../testing/fakeBff';
import { describeActivity } from '../labels';

const on = (action: string, detail: string | null = null) =>
  describeActivity(
    activityEntryFixture({
      action,
      detail,
      target: { type: 'machine_account', id: 'ada@example.org/ci', name: null },
    }),
    'ada@example.org',
  );

describe('activity labels for machine accounts', () => {
  it('when an entry is about a machine account, then it says what happened to it by its username', () => {
    expect(on('machine_create')).toBe('Made the machine account ada@example.org/ci');
    expect(on('machine_rotate')).toBe('Made a new password for the machine account ada@example.org/ci');
    expect(on('machine_delete')).toBe('Deleted the machine account ada@example.org/ci');
    expect(on('machine_disable', 'inactive')).toBe(
      'Disabled the machine account ada@example.org/ci with your account (not signed in for a long time)',
    );
  });
});
