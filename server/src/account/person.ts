/**
 * The signed-in person as the account and sharing services see them: their identity at the provider,
 * their verified email, their token for PAPI, and the request id that ties activity records to log lines.
 */
import type { Request } from 'express';
import { emailMissing, ineligible } from '../errors.js';
import { identityOf } from '../auth/current-user.js';
import { isEmailVerified } from '../auth/eligibility.js';
import type { Person } from './service.js';

/**
 * `eligible`: registering, claiming, changing the password and sharing need full eligibility.
 * `identified`: reading and deleting the account only need the verified email, so someone who lost
 * eligibility still sees their account and can remove it.
 */
export function personOf(req: Request, need: 'eligible' | 'identified'): Person {
  const identity = identityOf(req);
  const e = identity.eligibility;
  if (!e.eligible && (need === 'eligible' || e.code !== 'not_eligible')) throw ineligible(e.code, e.message);
  if (!identity.email) throw emailMissing();
  return {
    issuer: identity.issuer,
    subject: identity.sub,
    email: identity.email,
    accessToken: identity.accessToken,
    eligible: e.eligible,
    emailVerified: isEmailVerified(identity.claims),
    requestId: typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined,
  };
}
