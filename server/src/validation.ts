/**
 * Request validation with zod: a body that is not JSON is refused (415), a body or parameter that is
 * wrong gets 422 naming each field and why.
 */
import type { Request } from 'express';
import type { z } from 'zod';
import { unsupportedMediaType, validationFailed } from './errors.js';

export function parseBody<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  if (!req.is('application/json')) throw unsupportedMediaType();
  const result = schema.safeParse(req.body);
  if (!result.success) {
    throw validationFailed(
      result.error.issues.map((issue) => ({ field: issue.path.join('.') || 'body', message: issue.message })),
    );
  }
  return result.data;
}

/** One path or query parameter, named `name` in the error. */
export function parseField<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw validationFailed([{ field: name, message: result.error.issues[0]?.message ?? 'Invalid value.' }]);
  return result.data;
}
