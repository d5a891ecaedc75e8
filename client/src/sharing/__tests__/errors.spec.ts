import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api';
import { sharingError } from '../errors';

describe('sharingError', () => {
  it('when the person to share with has no account, then the error names them; other errors stay as they are', () => {
    const missing = new ApiError(404, 'user_not_registered', 'x has no MLflow account: they must register first.');
    expect(sharingError(missing, 'grace@example.org').message).toBe(
      'grace@example.org has no MLflow account yet: ask them to register first.',
    );
    const other = new ApiError(409, 'last_manager', 'Give MANAGE to someone else first.');
    expect(sharingError(other, 'grace@example.org')).toBe(other);
  });

  it('when nobody in particular was meant, then even "no account" keeps the server’s words', () => {
    const missing = new ApiError(404, 'user_not_registered', 'x has no MLflow account: they must register first.');
    expect(sharingError(missing)).toBe(missing);
  });
});
