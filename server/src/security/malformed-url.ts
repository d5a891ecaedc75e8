/**
 * Refuses, up front, a path that cannot be percent-decoded (`/api/%ZZ/x`, a cut UTF-8 sequence such as
 * `%E0%A4%A`): the router and the static file server would otherwise fail on it deep inside, as a 500.
 */
import type { RequestHandler } from 'express';
import { malformedUrl } from '../errors.js';

export const rejectMalformedUrls: RequestHandler = (req, _res, next) => {
  const path = req.url.split('?', 1)[0]!;
  try {
    decodeURIComponent(path);
  } catch {
    return next(malformedUrl());
  }
  next();
};
