/**
 * The request log: one line per request with method, path, status and time, and nothing secret. The
 * query of the auth routes (authorization code, `state`, `returnTo`) is replaced by `[redacted]`, other
 * queries are redacted by key, and no header but the user agent is logged (never cookies, tokens or the
 * CSRF token). Health probes are not logged.
 */
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

export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
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
