import { safeReturnTo } from './return-to.js';

describe('safeReturnTo', () => {
  it.each([
    ['/signup/account', '/signup/account'],
    ['/signup/sharing?tab=models#x', '/signup/sharing?tab=models#x'],
    ['/signup', '/signup'],
  ])('when given the same-origin path %s, then it is kept', (input, expected) => {
    expect(safeReturnTo(input, '/signup')).toBe(expected);
  });

  it.each([
    'https://evil.example/signup/',
    '//evil.example/signup/',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/other-app',
    '/signupx',
    '/signup/auth/login',
    '/signup/../admin',
    '/signup/%0d%0aSet-Cookie:x',
    'signup/account',
    '',
    undefined,
    ['/signup/a', '/signup/b'],
  ])('when given %p, then it falls back to the base path', (input) => {
    const out = safeReturnTo(input, '/signup');
    expect(out.startsWith('/signup')).toBe(true);
    expect(out === '/signup/' || out === '/signup/%0d%0aSet-Cookie:x').toBe(true);
  });

  it('when the base path is the root, then any same-origin path is accepted', () => {
    expect(safeReturnTo('/account', '')).toBe('/account');
    expect(safeReturnTo('//evil', '')).toBe('/');
  });
});
