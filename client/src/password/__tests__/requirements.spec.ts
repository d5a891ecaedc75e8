import { describe, expect, it } from 'vitest';
import { allMet, passwordLength, passwordRequirements } from '../requirements';

const policy = { min_length: 12, max_length: 20 };
const email = 'Ada@Example.org';

function met(password: string, confirmation = password) {
  return Object.fromEntries(passwordRequirements({ password, confirmation, email }, policy).map((r) => [r.id, r.met]));
}

describe('passwordRequirements', () => {
  it('when the password is empty, then only the maximum length is met', () => {
    expect(met('', '')).toEqual({ min_length: false, max_length: true, not_email: false, confirmation_matches: false });
  });

  it('when the password has exactly the minimum length and is confirmed, then all are met', () => {
    const requirements = passwordRequirements({ password: 'abcdefghijkl', confirmation: 'abcdefghijkl', email }, policy);
    expect(allMet(requirements)).toBe(true);
  });

  it('when the password is one character short, then the minimum length is unmet', () => {
    expect(met('abcdefghijk').min_length).toBe(false);
  });

  it('when the password is longer than the maximum, then the maximum length is unmet', () => {
    expect(met('a'.repeat(21)).max_length).toBe(false);
    expect(met('a'.repeat(20)).max_length).toBe(true);
  });

  it('when the password is the email in another case or with spaces, then "not your email" is unmet', () => {
    expect(met('ada@example.org').not_email).toBe(false);
    expect(met('  ADA@EXAMPLE.ORG ').not_email).toBe(false);
    expect(met('ada@example.org!').not_email).toBe(true);
  });

  it('when the confirmation differs or is empty, then "both match" is unmet', () => {
    expect(met('abcdefghijkl', 'abcdefghijkm').confirmation_matches).toBe(false);
    expect(met('abcdefghijkl', '').confirmation_matches).toBe(false);
  });

  it('when labels are built, then they state the policy numbers', () => {
    const labels = passwordRequirements({ password: '', confirmation: '', email }, policy).map((r) => r.label);
    expect(labels).toEqual(['At least 12 characters', 'At most 20 characters', 'Not your email address', 'Both passwords match']);
  });
});

describe('passwordLength', () => {
  it('when the password holds characters outside the BMP, then each counts once, as the BFF counts them', () => {
    expect(passwordLength('🔑🔑')).toBe(2);
    expect('🔑🔑'.length).toBe(4);
  });
});
