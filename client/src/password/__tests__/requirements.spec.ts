import { describe, expect, it } from 'vitest';
import { allMet, hasControlCharacter, passwordLength, passwordRequirements } from '../requirements';

const policy = { min_length: 12, max_length: 20 };
const email = 'Ada@Example.org';

function met(password: string, confirmation = password) {
  return Object.fromEntries(passwordRequirements({ password, confirmation, email }, policy).map((r) => [r.id, r.met]));
}

describe('passwordRequirements', () => {
  it('when the password is empty, then only the maximum length is met', () => {
    expect(met('', '')).toEqual({
      min_length: false,
      max_length: true,
      no_control_characters: true,
      not_email: false,
      confirmation_matches: false,
    });
  });

  it('when the password has exactly the minimum length and is confirmed, then all are met', () => {
    const requirements = passwordRequirements(
      { password: 'abcdefghijkl', confirmation: 'abcdefghijkl', email },
      policy,
    );
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
    expect(labels).toEqual([
      'At least 12 characters',
      'At most 20 characters',
      'No control characters (such as tab or newline)',
      'Not your email address',
      'Both passwords match',
    ]);
  });

  it.each([
    ['a tab', 'abcdef\tghijkl'],
    ['a newline', 'abcdefghijkl\n'],
    ['a carriage return', '\rabcdefghijkl'],
    ['NUL (U+0000)', 'abcdef\u0000ghijkl'],
    ['U+001F', 'abcdef\u001fghijkl'],
    ['DEL (U+007F)', 'abcdef\u007fghijkl'],
    ['a C1 control (U+0085, next line)', 'abcdef\u0085ghijkl'],
    ['U+009F', 'abcdef\u009fghijkl'],
  ])(
    'when the password holds %s, then "no control characters" is unmet and it may not be submitted',
    (_name, password) => {
      expect(met(password).no_control_characters).toBe(false);
      expect(allMet(passwordRequirements({ password, confirmation: password, email }, policy))).toBe(false);
    },
  );

  it.each([
    ['a space', 'correct horse battery'],
    ['U+00A0 (no-break space), just after the C1 range', 'correct\u00a0horse battery'],
    ['U+0020 and U+007E, just outside the C0 range and before DEL', ' abcdefghijk~'],
    ['letters and emoji outside the BMP', 'passwörd🔑passwörd'],
  ])('when the password holds %s but no control character, then "no control characters" is met', (_name, password) => {
    expect(met(password).no_control_characters).toBe(true);
  });
});

describe('passwordLength', () => {
  it('when the password holds characters outside the BMP, then each counts once, as the BFF counts them', () => {
    expect(passwordLength('🔑🔑')).toBe(2);
    expect('🔑🔑'.length).toBe(4);
  });
});

describe('hasControlCharacter', () => {
  it('when every code point of U+0000–U+001F and U+007F–U+009F is tried, then each is found, and its neighbours are not', () => {
    const controls = [...Array(0x20).keys(), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i)];
    for (const code of controls)
      expect(hasControlCharacter(`a${String.fromCodePoint(code)}b`), `U+${code.toString(16)}`).toBe(true);
    for (const code of [0x20, 0x7e, 0xa0]) expect(hasControlCharacter(String.fromCodePoint(code))).toBe(false);
  });
});
