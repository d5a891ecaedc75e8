/**
 * Typed client for MLflow's basic-auth REST API, used with the admin account configured by the operator.
 *
 * Answers are parsed leniently (extra fields allowed, the fields we rely on checked), because MLflow
 * adds fields between versions (2.x carries permission arrays on users, 3.x carries roles).
 * See shared/reference/mlflow-auth-api.md for the facts this relies on.
 */
import { z } from 'zod';
import { createHttp, UpstreamError, type FetchLike, type HttpRequest } from '../http.js';

const mlflowUserSchema = z.looseObject({
  id: z.number(),
  username: z.string(),
  is_admin: z.boolean(),
});
export type MlflowUser = { id: number; username: string; is_admin: boolean };

const userEnvelope = z.looseObject({ user: mlflowUserSchema });

export interface MlflowClientOptions {
  baseUrl: string;
  username: string;
  password: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

export function basicAuth(username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** MLflow's error body: `{"error_code": "...", "message": "..."}`. */
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

function pick(user: z.infer<typeof mlflowUserSchema>): MlflowUser {
  return { id: user.id, username: user.username, is_admin: user.is_admin };
}

export type CredentialCheck = { ok: true; user: MlflowUser } | { ok: false; status: number };

export function createMlflowClient(options: MlflowClientOptions) {
  const request: HttpRequest = createHttp('MLflow', options.baseUrl, options.fetch, options.timeoutMs);
  const admin = { Authorization: basicAuth(options.username, options.password) };

  return {
    /** The user, or `null` when MLflow has no such user. */
    async getUser(username: string): Promise<MlflowUser | null> {
      try {
        const { body } = await request('/api/2.0/mlflow/users/get', { query: { username }, headers: admin });
        return pick(userEnvelope.parse(body).user);
      } catch (err) {
        if (err instanceof UpstreamError && err.status === 404) return null;
        throw err;
      }
    },

    async createUser(username: string, password: string): Promise<MlflowUser> {
      const { body } = await request('/api/2.0/mlflow/users/create', {
        method: 'POST',
        headers: admin,
        json: { username, password },
      });
      return pick(userEnvelope.parse(body).user);
    },

    /** As admin, no `current_password` is needed: the person proved who they are to the OpenID provider. */
    async updatePassword(username: string, password: string): Promise<void> {
      await request('/api/2.0/mlflow/users/update-password', {
        method: 'PATCH',
        headers: admin,
        json: { username, password },
      });
    },

    /** Deletes the user; `false` when there was no such user. */
    async deleteUser(username: string): Promise<boolean> {
      try {
        await request('/api/2.0/mlflow/users/delete', { method: 'DELETE', headers: admin, json: { username } });
        return true;
      } catch (err) {
        if (err instanceof UpstreamError && err.status === 404) return false;
        throw err;
      }
    },

    /**
     * Asks MLflow whether these credentials sign in, exactly as an MLflow client would. MLflow 3 has
     * `users/current`; MLflow 2.x lacks it (404), where reading one's own user is the equivalent.
     */
    async checkCredentials(username: string, password: string): Promise<CredentialCheck> {
      const headers = { Authorization: basicAuth(username, password) };
      try {
        try {
          const { body } = await request('/api/2.0/mlflow/users/current', { headers });
          return { ok: true, user: pick(userEnvelope.parse(body).user) };
        } catch (err) {
          if (!(err instanceof UpstreamError && err.status === 404)) throw err;
          const { body } = await request('/api/2.0/mlflow/users/get', { headers, query: { username } });
          return { ok: true, user: pick(userEnvelope.parse(body).user) };
        }
      } catch (err) {
        if (err instanceof UpstreamError && (err.status === 401 || err.status === 403)) return { ok: false, status: err.status };
        throw err;
      }
    },

    /** The admin account as MLflow sees it: the readiness probe's question. */
    async checkAdmin(): Promise<CredentialCheck> {
      return this.checkCredentials(options.username, options.password);
    },

    /** Low-level access for the feature modules that add calls (sharing). */
    request,
    adminHeaders: admin,
  };
}

export type MlflowClient = ReturnType<typeof createMlflowClient>;
