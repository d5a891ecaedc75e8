import { authenticatedSince, recentUntil } from './recent-sign-in.js';

const now = Date.parse('2026-11-30T12:00:00Z');
const seconds = (ms: number) => Math.floor(ms / 1000);

describe('recentUntil', () => {
  it('when the provider did not say when the person signed in, then the sign-in is not recent', () => {
    expect(recentUntil(undefined, 600, now)).toBeNull();
  });
  it('when the sign-in is within the window, then it is recent until auth_time + max age', () => {
    expect(recentUntil(seconds(now) - 100, 600, now)).toBe((seconds(now) + 500) * 1000);
  });
  it('when the sign-in is older than the window, then it is not recent', () => {
    expect(recentUntil(seconds(now) - 601, 600, now)).toBeNull();
  });
  it('when auth_time lies in the future beyond clock skew, then it is not trusted', () => {
    expect(recentUntil(seconds(now) + 3600, 600, now)).toBeNull();
  });
});

describe('authenticatedSince', () => {
  it('when the step-up brought an auth_time after it started, then it counts', () => {
    expect(authenticatedSince(seconds(now) + 5, now)).toBe(true);
  });
  it('when the auth_time is older than the step-up (beyond clock skew), then the provider did not re-authenticate', () => {
    expect(authenticatedSince(seconds(now) - 3600, now)).toBe(false);
  });
  it('when there is no auth_time, then it does not count', () => {
    expect(authenticatedSince(undefined, now)).toBe(false);
  });
});
