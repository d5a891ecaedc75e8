/**
 * The one place where a failure of the registry database becomes this API's error: 503
 * `database_unavailable`, never a 500, and never the driver's message (it may name tables or hosts).
 */
import type { ErrorRequestHandler } from 'express';
import { databaseUnavailable } from '../errors.js';

/** Network failures of the PostgreSQL driver (the database is down, restarting or unreachable). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Whether `err` came from the database layer: `node:sqlite` (`ERR_SQLITE_ERROR`, e.g. a locked or
 * unreadable file), PostgreSQL's own errors (a five-character SQLSTATE with a severity), the driver's
 * connection failures, and the pool's timeout.
 */
export function isDatabaseFailure(err: unknown): boolean {
  // Duck-typed, not `instanceof Error`: the built-in driver's errors may come from another realm.
  if (typeof err !== 'object' || err === null || typeof (err as { message?: unknown }).message !== 'string') {
    return false;
  }
  const { code, severity, message } = err as { code?: unknown; severity?: unknown; message: string };
  if (code === 'ERR_SQLITE_ERROR') return true;
  if (typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return true;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return /timeout exceeded when trying to connect|Connection terminated/i.test(message);
}

/** Express error middleware, placed before the general one: turns database failures into 503. */
export const databaseFailures: ErrorRequestHandler = (err, _req, _res, next) => {
  next(isDatabaseFailure(err) ? databaseUnavailable(err) : err);
};
