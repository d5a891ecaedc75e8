/**
 * Typed client for MLflow's basic-auth REST API, used with the admin account the operator configured.
 * This folder is the only code that knows an MLflow URL: users here, resources in `resources.ts`, both
 * permission generations in `permissions-*.ts`.
 *
 * Every method maps failures through {@link mlflowFailure}, so callers see this API's errors only.
 * Answers are parsed leniently (extra fields allowed, the fields relied on checked), because MLflow adds
 * fields between versions. Each call costs MLflow a password-hash check (~140 ms of CPU), so methods do
 * one request each and callers count them.
 * See docs/reference/mlflow-auth-api.md.
 */
import { z } from 'zod';
import { alreadyRegistered, weakPassword } from '../errors.js';
import { createHttp, UpstreamError, type FetchLike, type HttpRequest, type RequestOptions } from '../http.js';
import { isMlflowNotFound, mlflowErrorCode, mlflowErrorMessage, mlflowFailure } from './errors.js';
import { createPermissionsProbe } from './permissions.js';
import { createResources } from './resources.js';
import { createRoles } from './roles.js';

const mlflowUserSchema = z.looseObject({ id: z.number(), username: z.string(), is_admin: z.boolean() });
const userEnvelope = z.looseObject({ user: mlflowUserSchema });

export interface MlflowUser {
  id: number;
  username: string;
  is_admin: boolean;
}

export interface MlflowClientOptions {
  baseUrl: string;
  username: string;
  password: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

export type CredentialCheck = { ok: true; user: MlflowUser } | { ok: false; status: number };

function basicAuth(username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

const pickUser = (body: unknown): MlflowUser => {
  const { id, username, is_admin } = userEnvelope.parse(body).user;
  return { id, username, is_admin };
};

/** One admin request: the action it serves names the failure ("MLflow could not <action>"). */
interface AdminCall {
  action: string;
  path: string;
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: RequestOptions['query'];
  json?: unknown;
}

/** A schema the answer must match; a mismatch is MLflow failing the action, like an error answer. */
type AnswerSchema<T> = z.ZodType<T>;

/**
 * The admin's requests, each mapped through {@link mlflowFailure}. `orNull` answers `null` for a 404
 * (the one failure callers routinely expect: no such user, resource or grant).
 */
export interface AdminRequests {
  call<T = unknown>(call: AdminCall, schema?: AnswerSchema<T>): Promise<T>;
  orNull<T = unknown>(call: AdminCall, schema?: AnswerSchema<T>): Promise<T | null>;
}

function adminRequests(request: HttpRequest, headers: Record<string, string>): AdminRequests {
  async function run<T>(c: AdminCall, notFoundIsNull: boolean, schema?: AnswerSchema<T>): Promise<T | null> {
    try {
      const { body } = await request<T>(c.path, { method: c.method, query: c.query, json: c.json, headers });
      return schema ? schema.parse(body) : body;
    } catch (err) {
      if (notFoundIsNull && isMlflowNotFound(err)) return null;
      throw mlflowFailure(err, c.action);
    }
  }
  return {
    call: async <T>(c: AdminCall, schema?: AnswerSchema<T>) => (await run<T>(c, false, schema)) as T,
    orNull: (c, schema) => run(c, true, schema),
  };
}

export function createMlflowClient(options: MlflowClientOptions) {
  const request = createHttp('MLflow', options.baseUrl, options.fetch, options.timeoutMs);
  const admin = adminRequests(request, { Authorization: basicAuth(options.username, options.password) });
  /** MLflow 2.x has no `users/current`: learnt at the first credential check, so later ones cost one call. */
  let hasUsersCurrent: boolean | undefined;

  async function checkCredentials(username: string, password: string): Promise<CredentialCheck> {
    const headers = { Authorization: basicAuth(username, password) };
    try {
      if (hasUsersCurrent !== false) {
        try {
          const { body } = await request('/api/2.0/mlflow/users/current', { headers });
          hasUsersCurrent = true;
          return { ok: true, user: pickUser(body) };
        } catch (err) {
          if (!(isMlflowNotFound(err) && mlflowErrorCode(err) === undefined)) throw err;
          hasUsersCurrent = false;
        }
      }
      // A user may read their own record: the 2.x equivalent of `users/current`.
      const { body } = await request('/api/2.0/mlflow/users/get', { headers, query: { username } });
      return { ok: true, user: pickUser(body) };
    } catch (err) {
      if (err instanceof UpstreamError && (err.status === 401 || err.status === 403))
        return { ok: false, status: err.status };
      throw mlflowFailure(err, 'check the credentials');
    }
  }

  return {
    /** The user, or `null` when MLflow has no such user. */
    async getUser(username: string): Promise<MlflowUser | null> {
      const body = await admin.orNull(
        { action: 'look up the account', path: '/api/2.0/mlflow/users/get', query: { username } },
        userEnvelope,
      );
      return body === null ? null : pickUser(body);
    },

    /** Creates the user: 409 `already_registered` when it exists, 422 `weak_password` when MLflow's rule refuses it. */
    async createUser(username: string, password: string): Promise<MlflowUser> {
      try {
        const { body } = await request('/api/2.0/mlflow/users/create', {
          method: 'POST',
          headers: { Authorization: basicAuth(options.username, options.password) },
          json: { username, password },
        });
        return pickUser(body);
      } catch (err) {
        if (err instanceof UpstreamError && err.status === 400 && mlflowErrorCode(err) === 'RESOURCE_ALREADY_EXISTS')
          throw alreadyRegistered();
        throw passwordRuleOr(err, 'create the account');
      }
    },

    /** As admin, no `current_password` is needed: the person proved who they are to the OpenID provider. */
    async updatePassword(username: string, password: string): Promise<void> {
      try {
        await request('/api/2.0/mlflow/users/update-password', {
          method: 'PATCH',
          headers: { Authorization: basicAuth(options.username, options.password) },
          json: { username, password },
        });
      } catch (err) {
        throw passwordRuleOr(err, 'change the password');
      }
    },

    /** Deletes the user; `false` when there was no such user. */
    async deleteUser(username: string): Promise<boolean> {
      const answer = await admin.orNull({
        action: 'delete the account',
        method: 'DELETE',
        path: '/api/2.0/mlflow/users/delete',
        json: { username },
      });
      return answer !== null;
    },

    /**
     * Asks MLflow whether these credentials sign in, exactly as an MLflow client would: `users/current`
     * on MLflow 3, reading one's own user on 2.x (which lacks it).
     */
    checkCredentials,

    /** The admin account as MLflow sees it: the readiness probe's question. */
    checkAdmin: () => checkCredentials(options.username, options.password),

    /** Experiments, registered models and prompts, looked up as admin. */
    resources: createResources(admin),

    /** Which permission API the server speaks (probed once), and that API. */
    permissions: createPermissionsProbe(admin, options.username),

    /** Roles (MLflow 3.13+ only): the roles of shareable groups and who holds them. */
    roles: createRoles(admin),
  };
}

/**
 * MLflow's own password rule is the one message passed on to the person: other MLflow messages can carry
 * internals (2.x puts SQL statements and password hashes in some of them).
 */
function passwordRuleOr(err: unknown, action: string) {
  if (err instanceof UpstreamError && err.status === 400) {
    const message = mlflowErrorMessage(err);
    const detail = message && /^Password [^\n]{0,160}$/.test(message) ? message : undefined;
    return weakPassword(`MLflow refused the password${detail ? `: ${detail}` : '.'}`);
  }
  return mlflowFailure(err, action);
}

export type MlflowClient = ReturnType<typeof createMlflowClient>;
