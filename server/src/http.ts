/**
 * The one way this service calls another over HTTP: a timeout on every request, JSON parsed leniently,
 * and failures turned into {@link UpstreamError}s that keep the upstream body for the logs only.
 */
export type FetchLike = typeof fetch;

export class UpstreamError extends Error {
  constructor(
    readonly service: string,
    /** HTTP status, or 0 when no answer came (connection refused, timeout). */
    readonly status: number,
    message: string,
    /** Parsed JSON body when there was one (for MLflow: `{error_code, message}`). */
    readonly body?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }

  /** True when the service gave no usable answer: down, timed out, or a 5xx. */
  get unavailable(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  timeoutMs?: number;
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

export function createHttp(service: string, baseUrl: string, fetchImpl: FetchLike = fetch, defaultTimeoutMs = 10_000) {
  return async function request<T = unknown>(path: string, options: RequestOptions = {}): Promise<JsonResponse<T>> {
    const url = new URL(baseUrl.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method: options.method ?? 'GET',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? defaultTimeoutMs),
      });
    } catch (cause) {
      throw new UpstreamError(
        service,
        0,
        `${service} did not answer (${(cause as Error).name}: ${(cause as Error).message})`,
        undefined,
        { cause },
      );
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) {
      throw new UpstreamError(
        service,
        res.status,
        `${service} answered ${res.status} to ${options.method ?? 'GET'} ${url.pathname}`,
        parsed,
      );
    }
    return { status: res.status, body: parsed as T };
  };
}

export type HttpRequest = ReturnType<typeof createHttp>;

const LOGGED_BODY_CHARS = 200;
/** Values that look like secrets wherever they stand: JWTs, password hashes, Bearer/Basic credentials. */
const SECRET_VALUES: RegExp[] = [
  /eyJ[\w-]+\.[\w-]+\.[\w-]*/g,
  /\b(?:pbkdf2|scrypt|bcrypt|argon2)[:$][^\s'",)]+/gi,
  /\b(?:Bearer|Basic)\s+[\w.~+/=-]+/gi,
];
/** A secret named by its key, in JSON (`"password": "…"`) or a query (`code=…`): the value goes, the key stays. */
const SECRET_FIELDS =
  /("?\b(?:password|current_password|secret|token|code|state|refresh_token|access_token|id_token|id_token_hint)"?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,&}]+)/gi;

/** Removes anything shaped like a secret from text bound for the log, and truncates it. */
export function redactForLog(text: string, max = LOGGED_BODY_CHARS): string {
  let out = text.slice(0, max * 4).replace(SECRET_FIELDS, '$1[redacted]');
  for (const shape of SECRET_VALUES) out = out.replace(shape, '[redacted]');
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/**
 * A thrown value as it may be logged: upstream bodies truncated and redacted, never whole. Stacks are kept
 * for our own errors (they hold code locations, not data).
 */
export function describeForLog(err: unknown, depth = 0): Record<string, unknown> | undefined {
  if (err === undefined || err === null || depth > 3) return undefined;
  if (err instanceof UpstreamError) {
    const body = err.body === undefined ? undefined : redactForLog(asText(err.body));
    return { service: err.service, status: err.status, message: redactForLog(err.message), ...(body ? { body } : {}) };
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return {
      name: err.name,
      message: redactForLog(err.message),
      ...(err.stack ? { stack: err.stack.split('\n').slice(1, 8).join('\n') } : {}),
      ...(cause !== undefined && cause !== err ? { cause: describeForLog(cause, depth + 1) } : {}),
    };
  }
  return { value: redactForLog(asText(err)) };
}

/** Any value as text for the log; never throws (cyclic objects, BigInt). */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
