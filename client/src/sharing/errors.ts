/** How failed sharing actions are put in words. */
import { ApiError } from '../api';

/**
 * The error to show for a failed sharing action about `username`: the server's own words, except where
 * the page can say it better knowing who was meant (the server's message names the MLflow username it
 * was given, which the person may not recognise as the address they typed).
 */
export function sharingError(error: ApiError, username?: string): ApiError {
  if (error.code === 'user_not_registered' && username) {
    return new ApiError(
      error.status,
      error.code,
      `${username} has no MLflow account yet: ask them to register first.`,
      error.fields,
    );
  }
  return error;
}
