import * as client from 'openid-client';
import { classifyProviderError } from './oidc.js';

describe('classifyProviderError', () => {
  it('when fetch rejects because nothing answers, then the provider is unreachable', () => {
    expect(classifyProviderError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe(
      'unreachable',
    );
  });
  it('when openid-client wrapped a network error it did not recognise, then the provider is unreachable', () => {
    expect(
      classifyProviderError(new client.ClientError('something went wrong', { cause: new TypeError('fetch failed') })),
    ).toBe('unreachable');
  });
  it('when the request timed out, then the provider is unreachable', () => {
    expect(classifyProviderError(new DOMException('timed out', 'TimeoutError'))).toBe('unreachable');
    expect(
      classifyProviderError(Object.assign(new client.ClientError('operation timed out'), { code: 'OAUTH_TIMEOUT' })),
    ).toBe('unreachable');
  });
  it('when the provider answers a non-OAuth 502 page, then it is unreachable', () => {
    const err = new client.ClientError('unexpected HTTP response status code', {
      cause: new Response('bad gateway', { status: 502 }),
    });
    expect(classifyProviderError(err)).toBe('unreachable');
  });
  it('when the provider refuses the grant (invalid_grant), then it is a refusal', () => {
    const response = new Response('{}', { status: 400 });
    const err = new client.ResponseBodyError('server responded with an error in the response body', {
      cause: { error: 'invalid_grant' },
      response,
    });
    Object.assign(err, { status: 400, error: 'invalid_grant' });
    expect(classifyProviderError(err)).toBe('refused');
  });
  it('when an ID token check fails, then it is a refusal, not an outage', () => {
    expect(
      classifyProviderError(
        Object.assign(new client.ClientError('unexpected JWT claim value encountered'), {
          code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
        }),
      ),
    ).toBe('refused');
  });
});
