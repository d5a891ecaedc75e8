import { safeReturnTo } from './return-to.js';

describe('safeReturnTo', () => {
  describe('under BASE_PATH /signup', () => {
    it.each([
      ['/signup/account', '/signup/account'],
      ['/signup/sharing?tab=models#x', '/signup/sharing?tab=models#x'],
      ['/signup', '/signup'],
      ['/signup/./account', '/signup/account'],
      ['/signup/x/../account', '/signup/account'],
    ])('when given the same-origin path %s, then it returns %s', (input, expected) => {
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
      '/signup/auth',
      '/signup/../admin',
      '/signup/%0d%0aSet-Cookie:x',
      '/signup/..//evil.example',
      '/signup/.//evil.example',
      '/signup/%2F%2Fevil.example',
      '/signup/%5Cevil.example',
      'signup/account',
      '',
      undefined,
      ['/signup/a', '/signup/b'],
      `/signup/${'a'.repeat(1100)}`,
    ])('when given %p, then it returns /signup/', (input) => {
      expect(safeReturnTo(input, '/signup')).toBe('/signup/');
    });
  });

  describe('under BASE_PATH / (empty)', () => {
    it.each([
      ['/account', '/account'],
      ['/sharing?tab=prompts', '/sharing?tab=prompts'],
      ['/', '/'],
    ])('when given %s, then it returns %s', (input, expected) => {
      expect(safeReturnTo(input, '')).toBe(expected);
    });

    it.each([
      '//evil.example',
      '/.//evil.example',
      '/..//evil.example',
      '/%2e//evil.example',
      '/%2e%2e//evil.example',
      '/./%2e//evil.example',
      '/\\evil.example',
      '/%5Cevil.example',
      '/%2F%2Fevil.example',
      '/auth/callback',
      'https://evil.example',
    ])('when given %p, then it returns /', (input) => {
      expect(safeReturnTo(input, '')).toBe('/');
    });
  });
});
