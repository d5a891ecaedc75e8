import type { ActivityRecord } from '../registry/activity.js';
import { presentActivity } from './present.js';

const grace = { issuer: 'https://idp.example.org', subject: 'sub-grace' };

const record = (overrides: Partial<ActivityRecord> = {}): ActivityRecord => ({
  id: 42,
  at: Date.parse('2026-11-30T12:00:00Z'),
  request_id: 'req-1',
  actor_issuer: grace.issuer,
  actor_subject: grace.subject,
  actor_email: 'grace@example.org',
  action: 'share_grant',
  target_type: 'experiment',
  target_id: '7',
  target_name: 'team/exp',
  subject_username: 'ada@example.org',
  permission: 'EDIT',
  detail: null,
  outcome: 'ok',
  ...overrides,
});

describe('presentActivity', () => {
  it('when the viewer made the change, then the actor is "you", the id a string and the time ISO', () => {
    expect(presentActivity(record(), grace)).toEqual({
      id: '42',
      at: '2026-11-30T12:00:00.000Z',
      actor: { email: 'grace@example.org', you: true, service: false },
      action: 'share_grant',
      target: { type: 'experiment', id: '7', name: 'team/exp' },
      subject: 'ada@example.org',
      permission: 'EDIT',
      detail: null,
      outcome: 'ok',
    });
  });

  it('when someone else made the change, then the actor is shown by email only, neither you nor the service', () => {
    const presented = presentActivity(record({ actor_subject: 'sub-alan', actor_email: 'alan@example.org' }), grace);
    expect(presented.actor).toEqual({ email: 'alan@example.org', you: false, service: false });
    expect(JSON.stringify(presented)).not.toMatch(/sub-alan|idp\.example\.org|req-1/);
  });

  it('when the same subject acted at another issuer, then it is not the viewer', () => {
    expect(presentActivity(record({ actor_issuer: 'https://other-idp.example.org' }), grace).actor.you).toBe(false);
  });

  it('when the service acted, then the actor is the service, with no email, and the detail says why', () => {
    const presented = presentActivity(
      record({
        actor_issuer: null,
        actor_subject: null,
        actor_email: null,
        action: 'deprovision',
        target_type: 'account',
        target_id: 'grace@example.org',
        target_name: null,
        subject_username: null,
        permission: null,
        detail: 'inactive',
      }),
      grace,
    );
    expect(presented.actor).toEqual({ email: null, you: false, service: true });
    expect(presented).toMatchObject({
      action: 'deprovision',
      target: { type: 'account', id: 'grace@example.org', name: null },
      detail: 'inactive',
    });
  });
});
