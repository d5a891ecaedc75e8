/**
 * The request log: one line per request with method, path, status and time, and nothing secret. The
 * query of the auth routes (authorization code, `state`, `returnTo`) is replaced by `[redacted]`, other
 * queries are redacted by key, and no header but the user agent is logged (never cookies, tokens or the
 * CSRF token). Health probes are not logged.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { redactForLog } from './http.js';

/** The URL as it may be logged. */
function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const path = url.slice(0, q);
  if (/\/auth\//.test(path)) return `${path}?[redacted]`;
  return `${path}?${redactForLog(url.slice(q + 1), 300)}`;
}

/** A proxy's request id when it looks like one (so log lines join up across hops), else a new UUID. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Every request gets an id that is unique across replicas and restarts: it is in each log line, in the
 * `X-Request-Id` answer header, and in the activity record of whatever the request changed.
 */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: requestId,
    autoLogging: { ignore: (req) => /\/(healthz|readyz)$/.test((req.url ?? '').split('?', 1)[0] ?? '') },
    serializers: {
      // pino-http hands over its own summary of the request, with the original under `raw`.
      req: (req: {
        id?: unknown;
        method?: string;
        url?: string;
        raw?: IncomingMessage & { originalUrl?: string };
      }) => ({
        id: req.id,
        method: req.method,
        url: loggableUrl(req.raw?.originalUrl ?? req.url ?? ''),
        userAgent: req.raw?.headers['user-agent'],
      }),
      res: (res: ServerResponse & { raw?: ServerResponse }) => ({ statusCode: (res.raw ?? res).statusCode }),
    },
  });
}
