/**
 * The one place where MLflow's answers become this API's errors. Every method of the MLflow client runs
 * through {@link mlflowFailure}, so an MLflow 403 means the same thing in `account/` and in `sharing/`.
 * Expected answers (a missing user, an existing user, the password rule) are handled by the method that
 * expects them, before this mapper sees them.
 * See docs/reference/mlflow-auth-api.md for the answers themselves.
 */
import { AppError, mlflowAdminRefused, mlflowFailed, mlflowUnavailable } from '../errors.js';
import { UpstreamError } from '../http.js';

/** MLflow's JSON error body: `{"error_code": "...", "message": "..."}`; `undefined` for plain-text answers. */
export function mlflowErrorCode(err: unknown): string | undefined {
  if (err instanceof UpstreamError && err.body && typeof err.body === 'object') {
    const code = (err.body as { error_code?: unknown }).error_code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function mlflowErrorMessage(err: unknown): string | undefined {
  if (err instanceof UpstreamError && err.body && typeof err.body === 'object') {
    const message = (err.body as { message?: unknown }).message;
    return typeof message === 'string' ? message.slice(0, 300) : undefined;
  }
  return undefined;
}

export const isMlflowNotFound = (err: unknown): boolean => err instanceof UpstreamError && err.status === 404;

/**
 * Maps whatever an MLflow call threw:
 * - no answer, or a 5xx → 503 `mlflow_unavailable` (retry later);
 * - 401/403 to the admin account → 503 `mlflow_unavailable`, telling the operators' story (wrong
 *   MLFLOW_USERNAME / MLFLOW_PASSWORD or not an admin) without revealing it to the person;
 * - anything else unexpected (a 4xx, an answer of the wrong shape) → 502 `mlflow_failed`.
 */
export function mlflowFailure(err: unknown, action: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof UpstreamError) {
    if (err.unavailable) return mlflowUnavailable(err);
    if (err.status === 401 || err.status === 403) return mlflowAdminRefused(err);
  }
  return mlflowFailed(action, err);
}
