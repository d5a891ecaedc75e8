import { passwordProblem } from './password-policy.js';

const policy = { minLength: 12, maxLength: 256 };
const problem = (password: string, email = 'a@example.org') => passwordProblem(password, email, policy);

describe('passwordProblem', () => {
  it('when the password has exactly the minimum length, then it is accepted', () => {
    expect(problem('a'.repeat(12))).toBeUndefined();
  });
  it('when shorter than the minimum, then weak_password names the minimum', () => {
    expect(problem('a'.repeat(11))).toMatchObject({
      status: 422,
      code: 'weak_password',
      message: expect.stringMatching(/at least 12/),
    });
  });
  it('when longer than the maximum, then it is refused', () => {
    expect(problem('a'.repeat(257))?.message).toMatch(/at most 256/);
  });
  it('when equal to the email (any case), then it is refused', () => {
    expect(problem('Alice@Example.org', 'alice@example.org')?.message).toMatch(/not be your email/);
  });
  it('when counting length, then characters count, not UTF-16 units', () => {
    expect(problem('😀'.repeat(11))?.message).toMatch(/at least 12/);
    expect(problem('😀'.repeat(12))).toBeUndefined();
  });
  it.each([
    ['NUL and BEL', '\u0000\u0007'.repeat(8)],
    ['a tab', 'correct\thorse battery'],
    ['a newline', 'correct horse\nbattery'],
    ['DEL', 'correct horse battery\u007f'],
    ['a C1 control (NEL)', 'correct horse battery\u0085'],
  ])('when the password holds %s, then 422 password_invalid_characters', (_what, password) => {
    expect(problem(password)).toMatchObject({
      status: 422,
      code: 'password_invalid_characters',
      fields: [{ field: 'password' }],
    });
  });
  it('when the password holds spaces, symbols and non-Latin letters, then it is accepted', () => {
    expect(problem('Grüße aus Köln – 日本語 ✓')).toBeUndefined();
  });
});
