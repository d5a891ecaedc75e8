/**
 * One error type for everything the API answers with, and one middleware that turns any thrown value into
 * `{"error": {"code", "message"}}`. Upstream bodies and stack traces are logged, never sent to the browser.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';

export interface FieldProblem {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldProblem[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const notAuthenticated = () => new AppError(401, 'not_authenticated', 'Sign in first.');
export const sessionExpired = () =>
  new AppError(401, 'session_expired', 'Your sign-in has expired. Sign in again to continue.');
export const forbidden = (message = 'You are not allowed to do this.') => new AppError(403, 'forbidden', message);
export const notRegistered = () =>
  new AppError(404, 'not_registered', 'You have no MLflow account yet. Register first.');
export const validationFailed = (fields: FieldProblem[]) =>
  new AppError(422, 'validation_failed', fields.map((f) => `${f.field}: ${f.message}`).join(' '), fields);
export const mlflowUnavailable = (cause?: unknown) =>
  new AppError(503, 'mlflow_unavailable', 'MLflow cannot be reached right now. Nothing was changed; try again in a moment.', undefined, { cause });
export const providerUnavailable = () =>
  new AppError(503, 'provider_unavailable', 'The sign-in provider cannot be reached right now. Try again in a moment.');
export const notFound = () => new AppError(404, 'not_found', 'There is nothing at this address.');

/** Answers 404 for API routes nobody handled (the SPA fallback handles page routes). */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Body-parser and serve-static errors carry a `type` or an HTTP `status`; map them to stable codes
 * instead of a 500.
 */
function fromHttpError(err: { type?: string; status?: number; expose?: boolean }): AppError | undefined {
  switch (err?.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'invalid_json', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'The request body is too large (16 KB at most).');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding', 'The request body must be UTF-8 JSON.');
  }
  if (err?.expose && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    return err.status === 404 ? notFound() : new AppError(err.status, 'bad_request', 'The request could not be understood.');
  }
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let appError = err instanceof AppError ? err : fromHttpError(err as { type?: string });
    if (!appError) {
      logger.error({ err, path: req.path }, 'unhandled error');
      appError = new AppError(500, 'internal_error', 'Something went wrong on our side. Try again, and tell the operators if it persists.');
    } else if (appError.status >= 500) {
      logger.warn({ code: appError.code, cause: appError.cause, path: req.path }, appError.message);
    }
    if (res.headersSent) return;
    res.status(appError.status).json({
      error: { code: appError.code, message: appError.message, ...(appError.fields ? { fields: appError.fields } : {}) },
    });
  };
}
