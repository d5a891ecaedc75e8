import { jest } from '@jest/globals';
import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import { createCurrentUser } from './current-user.js';
import type { Oidc } from './oidc.js';
import { LAST_SEEN_EVERY_MS } from './session-data.js';

const config = {
  eligibility: { rule: { kind: 'any_authenticated_user' }, requireVerifiedEmail: true },
} as unknown as Config;
const oidc = { refresh: jest.fn() } as unknown as Oidc;

function requestWith(session: Record<string, unknown>): Request {
  return {
    session: {
      user: {
        issuer: 'https://idp.example.org',
        sub: 'grace',
        claims: { email: 'grace@example.org', email_verified: true },
        accessToken: 'access',
        expiresAt: Date.now() + 3_600_000,
      },
      ...session,
    },
  } as unknown as Request;
}

async function run(req: Request): Promise<unknown> {
  let passed: unknown = 'not called';
  await createCurrentUser(config, oidc)(req, {} as Response, (err?: unknown) => (passed = err));
  return passed;
}

describe('currentUser: when the person was last seen', () => {
  it('when the last write is older than a minute, then the request writes the time it came', async () => {
    const before = Date.now();
    const req = requestWith({ lastSeenAt: before - LAST_SEEN_EVERY_MS - 1 });
    expect(await run(req)).toBeUndefined();
    expect(req.session.lastSeenAt).toBeGreaterThanOrEqual(before);
  });

  it('when it was written within the last minute, then the session is left as it was (no save for it)', async () => {
    const recent = Date.now() - 10_000;
    const req = requestWith({ lastSeenAt: recent });
    await run(req);
    expect(req.session.lastSeenAt).toBe(recent);
  });

  it('when a session has no time yet (started before it was recorded), then it gets one', async () => {
    const req = requestWith({});
    await run(req);
    expect(typeof req.session.lastSeenAt).toBe('number');
  });

  it('when nobody is signed in, then nothing is written', async () => {
    const req = { session: {} } as unknown as Request;
    expect(await run(req)).toMatchObject({ code: 'not_authenticated' });
    expect(req.session.lastSeenAt).toBeUndefined();
  });
});
