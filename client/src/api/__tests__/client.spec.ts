import { describe, expect, it, vi } from 'vitest';
import { appBasePath } from '../base';
import { ApiError, asApiError, createApiClient, toApiError } from '../client';

function clientWith(response: Response | Error, token: string | null = 'tok') {
  const fetch = vi.fn(async () => {
    if (response instanceof Error) throw response;
    return response;
  });
  const client = createApiClient({ basePath: '/signup/', csrfToken: () => token, fetch });
  return { client, fetch };
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

describe('createApiClient', () => {
  it('when sending a request, then it goes below the base path with CSRF token, Accept and same-origin credentials', async () => {
    const { client, fetch } = clientWith(jsonResponse(201, { ok: true }));

    await client.request('POST', 'api/me', { password: 'secret' });

    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/signup/api/me');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    const headers = new Headers(init.headers);
    expect(headers.get('X-CSRF-Token')).toBe('tok');
    expect(headers.get('Accept')).toBe('application/json');
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(JSON.parse(init.body as string)).toEqual({ password: 'secret' });
  });

  it('when no CSRF token is known yet, then no X-CSRF-Token header is sent', async () => {
    const { client, fetch } = clientWith(jsonResponse(200, {}), null);

    await client.request('GET', 'api/config');

    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(new Headers(init.headers).has('X-CSRF-Token')).toBe(false);
    expect(new Headers(init.headers).has('Content-Type')).toBe(false);
  });

  it('when the answer is 204, then it resolves to undefined', async () => {
    const { client } = clientWith(new Response(null, { status: 204 }));

    await expect(client.request('DELETE', 'api/me')).resolves.toBeUndefined();
  });

  it('when the answer is a JSON error, then it throws an ApiError with status, code, message and fields', async () => {
    const { client } = clientWith(
      jsonResponse(422, {
        error: {
          code: 'weak_password',
          message: 'The password is too short.',
          fields: [{ field: 'password', message: 'At least 12 characters.' }],
        },
      }),
    );

    const error = await client.request('PUT', 'api/me/password', { password: 'x' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(422);
    expect(apiError.code).toBe('weak_password');
    expect(apiError.message).toBe('The password is too short.');
    expect(apiError.fieldMessage('password')).toBe('At least 12 characters.');
    expect(apiError.fieldMessage('other')).toBeUndefined();
    expect(apiError.needsSignIn).toBe(false);
  });

  it.each(['not_authenticated', 'session_expired'])(
    'when the answer is 401 %s, then the error says to sign in',
    async (code) => {
      const { client } = clientWith(jsonResponse(401, { error: { code, message: 'Sign in again.' } }));

      const error = (await client.request('GET', 'api/me').catch((e: unknown) => e)) as ApiError;

      expect(error.needsSignIn).toBe(true);
    },
  );

  it('when the answer is not JSON (e.g. a proxy error page), then it throws a readable unexpected_response error', async () => {
    const { client } = clientWith(
      new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    );

    const error = (await client.request('GET', 'api/me').catch((e: unknown) => e)) as ApiError;

    expect(error.code).toBe('unexpected_response');
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/HTTP 502/);
  });

  it('when the network fails, then it throws a network_error with status 0', async () => {
    const { client } = clientWith(new TypeError('Failed to fetch'));

    const error = (await client.request('GET', 'api/me').catch((e: unknown) => e)) as ApiError;

    expect(error.code).toBe('network_error');
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/could not be reached/);
  });

  it('when a success answer has no JSON body, then it is an unexpected_response', async () => {
    const { client } = clientWith(new Response('ok', { status: 200, headers: { 'content-type': 'text/plain' } }));

    await expect(client.request('GET', 'api/me')).rejects.toMatchObject({ code: 'unexpected_response' });
  });
});

describe('toApiError', () => {
  it('when the body misses the error envelope, then it falls back to unexpected_response', () => {
    expect(toApiError(500, { message: 'boom' }).code).toBe('unexpected_response');
    expect(toApiError(500, null).code).toBe('unexpected_response');
  });

  it('when fields hold malformed entries, then those are dropped', () => {
    const error = toApiError(422, {
      error: {
        code: 'validation_failed',
        message: 'Invalid.',
        fields: [{ field: 'password' }, 'x', { field: 'a', message: 'b' }],
      },
    });
    expect(error.fields).toEqual([{ field: 'a', message: 'b' }]);
  });
});

describe('asApiError', () => {
  it('when given an ApiError, then it is the same error, code and fields included', () => {
    const error = new ApiError(422, 'password_invalid_characters', 'No control characters, please.', [
      { field: 'password', message: 'x' },
    ]);
    expect(asApiError(error)).toBe(error);
  });

  it.each([
    ['an Error', new TypeError('x is undefined')],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['an object', { message: 'not for people' }],
  ])('when given %s, then a generic unexpected_response whose message can be shown', (_name, thrown) => {
    const error = asApiError(thrown);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 0,
      code: 'unexpected_response',
      message: 'Something went wrong. Please try again.',
    });
    expect(error.needsSignIn).toBe(false);
  });
});

describe('appBasePath', () => {
  it('when the BFF set <base href="/signup/">, then the base path is /signup/', () => {
    expect(appBasePath('https://example.org/signup/')).toBe('/signup/');
  });

  it('when the base URI is a page without a trailing slash, then its directory is used', () => {
    expect(appBasePath('https://example.org/mlflow/signup/account')).toBe('/mlflow/signup/');
    expect(appBasePath('https://example.org/')).toBe('/');
  });
});
