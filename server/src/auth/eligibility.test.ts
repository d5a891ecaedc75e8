import { evaluateEligibility, entitlementsOf } from './eligibility.js';

const ENT = 'urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu';
const person = { sub: 's', email: 'a@example.org', email_verified: true };

describe('evaluateEligibility', () => {
  it('when any required entitlement is held (from either claim name), then the person is eligible', () => {
    const rule = { kind: 'entitlement' as const, anyOf: ['urn:other', ENT] };
    expect(evaluateEligibility({ ...person, eduperson_entitlement: [ENT] }, rule, true).eligible).toBe(true);
    expect(evaluateEligibility({ ...person, entitlements: [ENT] }, rule, true).eligible).toBe(true);
    expect(evaluateEligibility({ ...person, eduperson_entitlement: ENT }, rule, true).eligible).toBe(true);
  });

  it('when only a sub-group entitlement is held, then it does not match (whole strings only)', () => {
    const sub = 'urn:mace:egi.eu:group:vo.ai4eosc.eu:sub:role=member#aai.egi.eu';
    const r = evaluateEligibility(
      { ...person, eduperson_entitlement: [sub, ENT.slice(0, -3)] },
      { kind: 'entitlement', anyOf: [ENT] },
      true,
    );
    expect(r).toMatchObject({ eligible: false, code: 'not_eligible' });
    expect(!r.eligible && r.message).toContain(ENT);
  });

  it('when some required realm roles are missing, then the message names exactly those', () => {
    const rule = { kind: 'realm_roles' as const, allOf: ['access:vo.ai4eosc.eu:ap-u', 'extra-role'] };
    const r = evaluateEligibility({ ...person, realm_access: { roles: ['access:vo.ai4eosc.eu:ap-u'] } }, rule, true);
    expect(r).toMatchObject({ eligible: false, code: 'not_eligible' });
    expect(!r.eligible && r.message).toContain('extra-role');
    expect(!r.eligible && r.message).not.toContain('ap-u,');
    expect(
      evaluateEligibility(
        { ...person, realm_access: { roles: ['extra-role', 'access:vo.ai4eosc.eu:ap-u'] } },
        rule,
        true,
      ).eligible,
    ).toBe(true);
  });

  it('when realm_access is malformed, then the person is not eligible rather than crashing', () => {
    const rule = { kind: 'realm_roles' as const, allOf: ['r'] };
    expect(evaluateEligibility({ ...person, realm_access: 'r' }, rule, true).eligible).toBe(false);
    expect(evaluateEligibility({ ...person, realm_access: { roles: 'r' } }, rule, true).eligible).toBe(true);
  });

  it('when the email is missing, then email_missing; when unverified, then email_not_verified unless not required', () => {
    const rule = { kind: 'any_authenticated_user' as const };
    expect(evaluateEligibility({ sub: 's', email_verified: true }, rule, true)).toMatchObject({
      eligible: false,
      code: 'email_missing',
    });
    expect(evaluateEligibility({ ...person, email: '  ' }, rule, true)).toMatchObject({ code: 'email_missing' });
    expect(evaluateEligibility({ ...person, email_verified: false }, rule, true)).toMatchObject({
      eligible: false,
      code: 'email_not_verified',
    });
    expect(evaluateEligibility({ ...person, email_verified: undefined }, rule, true)).toMatchObject({
      code: 'email_not_verified',
    });
    expect(evaluateEligibility({ ...person, email_verified: false }, rule, false)).toMatchObject({
      eligible: true,
      email: 'a@example.org',
    });
  });

  it('entitlementsOf merges both claim names without duplicates', () => {
    expect(entitlementsOf({ eduperson_entitlement: ['a', 'b'], entitlements: ['b', 'c', 3] })).toEqual(['a', 'b', 'c']);
  });
});
