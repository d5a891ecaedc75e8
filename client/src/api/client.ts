import type { ApiErrorCode, FieldError } from './types';

/**
 * A failed call to the BFF, carrying the answer's `{"error": {code, message, fields?}}`.
 * `message` is always a sentence that can be shown to the person as it is.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** The HTTP status, or 0 when no answer arrived. */
    readonly status: number,
    /** A known code from docs/api.md, or whatever a newer BFF sends. */
    readonly code: ApiErrorCode | (string & {}),
    message: string,
    /** Per-field problems of a 422 answer. */
    readonly fields: readonly FieldError[] = [],
  ) {
    super(message);
  }

  /** The message for one form field, when the BFF named that field. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }

  /** True when the person has to sign in (again) before anything else can work. */
  get needsSignIn(): boolean {
    return this.status === 401 && (this.code === 'not_authenticated' || this.code === 'session_expired');
  }
}

/**
 * Anything thrown, as an {@link ApiError}: an `ApiError` stays as it is; anything else (a bug, a rejected
 * promise from elsewhere) becomes a generic `unexpected_response`. Pages show `message` to the person as it
 * is, so an unknown error must never reach them with its own text (e.g. "TypeError: …"); and every caller
 * can then rely on `code`, `status` and `needsSignIn` without checking the type first.
 */
export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError
    ? error
    : new ApiError(0, 'unexpected_response', 'Something went wrong. Please try again.');
}

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiClientOptions {
  /** The app's base path with a trailing slash, e.g. `/signup/`; request paths are relative to it. */
  basePath: string;
  /** The session's CSRF token (from `GET /api/me`), or null before it is known. */
  csrfToken: () => string | null;
  /** Injected in tests; the browser's `fetch` otherwise. */
  fetch?: typeof fetch;
  /** Give up on a request after this long, so that a stuck upstream never leaves a spinner forever. */
  timeoutMs?: number;
  /** Called with every answer that arrived (any status), before its body is read. */
  onResponse?: (response: Response) => void;
}

export interface ApiClient {
  /**
   * Sends one request and returns the parsed JSON answer (`undefined` for 204).
   * @param path relative to the base path, e.g. `api/me` or `auth/logout`
   * @throws ApiError for every failure, including network errors and non-JSON answers
   */
  request<T>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function createApiClient(options: ApiClientOptions): ApiClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function request<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = options.csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    let response: Response;
    try {
      response = await doFetch(`${options.basePath}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'TimeoutError') {
        throw new ApiError(0, 'timeout', 'The server took too long to answer. Please try again in a moment.');
      }
      throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection and try again.');
    }

    options.onResponse?.(response);
    if (response.status === 204) return undefined as T;
    const payload = await readJson(response);
    if (response.ok) {
      if (payload === undefined) throw unexpected(response.status);
      return payload as T;
    }
    throw toApiError(response.status, payload);
  }

  return { request };
}

async function readJson(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) return undefined;
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function unexpected(status: number): ApiError {
  return new ApiError(
    status,
    'unexpected_response',
    `The server gave an unexpected answer (HTTP ${status}). Please try again in a moment.`,
  );
}

/** Turns an error answer into an {@link ApiError}, tolerating bodies that do not follow the contract. */
export function toApiError(status: number, payload: unknown): ApiError {
  const error = isRecord(payload) && isRecord(payload.error) ? payload.error : undefined;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string') return unexpected(status);
  const fields = Array.isArray(error.fields)
    ? error.fields.filter(
        (f): f is FieldError => isRecord(f) && typeof f.field === 'string' && typeof f.message === 'string',
      )
    : [];
  return new ApiError(status, error.code, error.message, fields);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
