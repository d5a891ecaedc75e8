import { vi } from 'vitest';
import type { ActivityEntry, Me, Ownership, OwnershipStatus, PublicConfig } from '../api/types';

/** One request the code under test made. */
interface RecordedCall {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
  init: RequestInit;
}

export type Route = (call: RecordedCall) => Response | Promise<Response>;

export function json(status: number, body?: unknown): Response {
  return new Response(body === undefined || status === 204 ? null : JSON.stringify(body), {
    status,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
  });
}

export function apiError(status: number, code: string, message: string, fields?: { field: string; message: string }[]) {
  return json(status, { error: { code, message, ...(fields ? { fields } : {}) } });
}

/**
 * Replaces the global `fetch` with a fake BFF: `routes` are keyed by "METHOD path" (e.g. "GET /api/me") and
 * may be swapped between steps of a test. Unknown routes fail the test loudly.
 */
export function fakeBff(routes: Record<string, Route | Response>) {
  const calls: RecordedCall[] = [];
  const table = { ...routes };
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = input instanceof Request ? input.url : input.toString();
    const method = (init.method ?? 'GET').toUpperCase();
    const call: RecordedCall = {
      method,
      url,
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      init,
    };
    calls.push(call);
    const route = table[`${method} ${url}`];
    if (!route) throw new Error(`unexpected request ${method} ${url}`);
    return route instanceof Response ? route.clone() : route(call);
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    calls,
    fetch: fetchMock,
    /** Changes how one route answers from now on. */
    on(key: string, route: Route | Response) {
      table[key] = route;
    },
    /** The requests made to one route. */
    callsTo(key: string) {
      return calls.filter((c) => `${c.method} ${c.url}` === key);
    },
  };
}

/**
 * A `GET /api/me` answer; override what the test is about. Unless given, `ownership` agrees with `account`:
 * `owned` with an account, `none` with `account: null`.
 */
export function meFixture(overrides: Partial<Me> = {}): Me {
  const account = 'account' in overrides ? (overrides.account ?? null) : accountFixture();
  return {
    user: { email: 'ada@example.org', name: 'Ada Lovelace', eligible: true, ineligible: null },
    ownership: ownershipFixture(account ? 'owned' : 'none'),
    account,
    vault: { status: 'in_sync' },
    reauthentication: null,
    csrf_token: 'csrf-123',
    ...overrides,
  };
}

/** `GET /api/me`'s `account`; override what the test is about. */
export function accountFixture(overrides: Partial<NonNullable<Me['account']>> = {}): NonNullable<Me['account']> {
  return { id: 3, username: 'ada@example.org', is_admin: false, disabled: null, ...overrides };
}

/** `GET /api/me`'s `ownership` with this status; override what the test is about. */
export function ownershipFixture(status: OwnershipStatus, overrides: Partial<Ownership> = {}): Ownership {
  return { status, username: 'ada@example.org', email_changed: false, message: null, ...overrides };
}

/**
 * A `GET /api/me` answer for someone whose email's MLflow account is not theirs (yet): no account, and the
 * Vault status only where the BFF still tells it.
 */
export function notOwnerMeFixture(
  status: Extract<OwnershipStatus, 'claimable' | 'owned_by_other_identity' | 'protected'>,
  message: string | null = null,
): Me {
  return meFixture({
    ownership: ownershipFixture(status, { message }),
    account: null,
    vault: status === 'owned_by_other_identity' ? null : { status: 'missing' },
  });
}

/** One entry of `GET /api/me/activity`; override what the test is about. */
export function activityEntryFixture(overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  return {
    id: '42',
    at: '2026-11-30T12:00:00.000Z',
    actor: { email: 'ada@example.org', you: true, service: false },
    action: 'password_change',
    target: { type: 'account', id: 'ada@example.org', name: null },
    subject: null,
    permission: null,
    detail: null,
    outcome: 'ok',
    ...overrides,
  };
}

/**
 * `GET /api/me`'s `reauthentication` with step-up on: a sign-in that counts as recent for `seconds` more
 * (`Date.now()`, fake timers included), or, with `null`, one that does not.
 */
export function reauthenticationFixture(
  seconds: number | null,
  maxAgeSeconds = 600,
): NonNullable<Me['reauthentication']> {
  return {
    max_age_seconds: maxAgeSeconds,
    recent_until: seconds === null ? null : new Date(Date.now() + seconds * 1000).toISOString(),
  };
}

/** A `GET /api/config` answer; override what the test is about. */
export function configFixture(overrides: Partial<PublicConfig> = {}): PublicConfig {
  return {
    mlflow_url: 'https://mlflow.example.org',
    privacy_policy_url: null,
    terms_of_use_url: null,
    vault_enabled: true,
    password_policy: { min_length: 12, max_length: 256 },
    support_contact: null,
    ...overrides,
  };
}
