import { passwordProblem } from './password-policy.js';

const policy = { minLength: 12, maxLength: 256 };

describe('passwordProblem', () => {
  it('when the password has exactly the minimum length, then it is accepted', () => {
    expect(passwordProblem('a'.repeat(12), 'a@example.org', policy)).toBeUndefined();
  });
  it('when shorter than the minimum, then the reason names the minimum', () => {
    expect(passwordProblem('a'.repeat(11), 'a@example.org', policy)).toMatch(/at least 12/);
  });
  it('when longer than the maximum, then it is refused', () => {
    expect(passwordProblem('a'.repeat(257), 'a@example.org', policy)).toMatch(/at most 256/);
  });
  it('when equal to the email (any case), then it is refused', () => {
    expect(passwordProblem('Alice@Example.org', 'alice@example.org', policy)).toMatch(/not be your email/);
  });
  it('counts characters, not UTF-16 units', () => {
    expect(passwordProblem('😀'.repeat(11), 'a@example.org', policy)).toMatch(/at least 12/);
  });
});
