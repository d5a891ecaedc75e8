/**
 * Request-body validation with zod: a body that is not JSON is refused (415), a body that is JSON but wrong
 * gets 422 naming each field and why.
 */
import type { Request } from 'express';
import type { z } from 'zod';
import { AppError, validationFailed } from './errors.js';

export function parseBody<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  if (!req.is('application/json')) {
    throw new AppError(415, 'unsupported_media_type', 'Send the request body as JSON (Content-Type: application/json).');
  }
  const result = schema.safeParse(req.body);
  if (!result.success) {
    throw validationFailed(
      result.error.issues.map((issue) => ({ field: issue.path.join('.') || 'body', message: issue.message })),
    );
  }
  return result.data;
}
