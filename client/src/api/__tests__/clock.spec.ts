import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiClient } from '../client';
import { noteServerDate, serverNow } from '../clock';

const NOW = Date.parse('2030-01-01T12:00:00.000Z');

afterEach(() => {
  noteServerDate(new Date(NOW).toUTCString(), NOW); // back to no offset
  vi.useRealTimers();
});

describe('serverNow', () => {
  it('when the BFF clock is 5 minutes ahead of the browser, then serverNow is 5 minutes ahead too', () => {
    vi.useFakeTimers({ now: NOW });

    noteServerDate(new Date(NOW + 300_000).toUTCString(), NOW);

    expect(serverNow()).toBe(NOW + 300_500);
  });

  it('when the clocks differ by less than the header can tell (2 s), then serverNow is the browser clock', () => {
    vi.useFakeTimers({ now: NOW });

    noteServerDate(new Date(NOW - 1_000).toUTCString(), NOW);

    expect(serverNow()).toBe(NOW);
  });

  it('when the header is missing or unreadable, then the last offset is kept', () => {
    vi.useFakeTimers({ now: NOW });
    noteServerDate(new Date(NOW - 60_000).toUTCString(), NOW);

    noteServerDate(null, NOW);
    noteServerDate('yesterday', NOW);

    expect(serverNow()).toBe(NOW - 59_500);
  });
});

describe('createApiClient onResponse', () => {
  it('when an answer arrives, error or not, then onResponse sees it with its headers', async () => {
    const seen: (string | null)[] = [];
    const fetch = vi.fn(
      async () => new Response(null, { status: 204, headers: { date: 'Tue, 01 Jan 2030 12:00:00 GMT' } }),
    );
    const client = createApiClient({
      basePath: '/',
      csrfToken: () => null,
      fetch,
      onResponse: (r) => seen.push(r.headers.get('date')),
    });

    await client.request('DELETE', 'api/me');
    fetch.mockResolvedValueOnce(
      new Response('{"error":{"code":"csrf","message":"No."}}', {
        status: 403,
        headers: { 'content-type': 'application/json' },
      }),
    );
    await client.request('DELETE', 'api/me').catch(() => undefined);

    expect(seen).toEqual(['Tue, 01 Jan 2030 12:00:00 GMT', null]);
  });
});
