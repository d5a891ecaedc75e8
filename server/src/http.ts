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
      throw new UpstreamError(service, 0, `${service} did not answer (${(cause as Error).name}: ${(cause as Error).message})`, undefined, { cause });
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
      throw new UpstreamError(service, res.status, `${service} answered ${res.status} to ${options.method ?? 'GET'} ${url.pathname}`, parsed);
    }
    return { status: res.status, body: parsed as T };
  };
}

export type HttpRequest = ReturnType<typeof createHttp>;
