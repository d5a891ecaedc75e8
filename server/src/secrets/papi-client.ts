/**
 * Typed client for the AI4OS platform API's secrets endpoints (docs/reference/papi-secrets-api.md).
 *
 * Every call carries the signed-in person's own access token: PAPI stores the secret under their `sub`,
 * so the BFF can never read or write another person's Vault entry.
 */
import { z } from 'zod';
import { createHttp, UpstreamError, type FetchLike } from '../http.js';

export interface StoredCredentials {
  username: string;
  password: string;
}

const credentialsSchema = z.looseObject({ username: z.string(), password: z.string() });

export interface PapiClientOptions {
  apiUrl: string;
  vo: string;
  secretPath: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

/**
 * Where a machine account's copy lives: `machine-accounts/<label>` beside the person's own secret
 * (`/services/mlflow/machine-accounts/ci-nightly` for `/services/mlflow/credentials`), under the person's
 * own Vault root like everything PAPI stores.
 */
export function machineAccountSecretPath(secretPath: string, label: string): string {
  return `${secretPath.replace(/\/[^/]*$/, '')}/machine-accounts/${label}`;
}

export function createPapiClient(options: PapiClientOptions) {
  const request = createHttp('PAPI', options.apiUrl, options.fetch, options.timeoutMs);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const parentFolder = options.secretPath.replace(/\/[^/]*$/, '') || undefined;

  return {
    /** The stored credentials; `null` when there is none (or it lacks username/password). */
    async readCredentials(accessToken: string): Promise<StoredCredentials | null> {
      // PAPI lists what lies *below* `subpath` (a Vault folder), keyed by full path: ask for the folder
      // holding the secret, then pick the secret out of the listing.
      const { body } = await request('/secrets', {
        headers: bearer(accessToken),
        query: { vo: options.vo, subpath: parentFolder },
      });
      if (!body || typeof body !== 'object') {
        throw new UpstreamError('PAPI', 200, 'PAPI answered GET /secrets with something other than an object', body);
      }
      const entry = (body as Record<string, unknown>)[options.secretPath];
      const parsed = credentialsSchema.safeParse(entry);
      return parsed.success ? { username: parsed.data.username, password: parsed.data.password } : null;
    },

    /**
     * Creates or overwrites the secret (Vault KV v1: the whole object is replaced): the person's own at
     * `USER_CREDENTIALS_SECRETS_PATH`, or the one at `path` (see {@link machineAccountSecretPath}).
     */
    async writeCredentials(
      accessToken: string,
      credentials: StoredCredentials,
      path: string = options.secretPath,
    ): Promise<void> {
      await request('/secrets', {
        method: 'POST',
        headers: bearer(accessToken),
        query: { vo: options.vo, secret_path: path },
        json: { username: credentials.username, password: credentials.password },
      });
    },

    /** Removes the secret (the person's own, or the one at `path`); PAPI succeeds whether or not it existed. */
    async deleteCredentials(accessToken: string, path: string = options.secretPath): Promise<void> {
      await request('/secrets', {
        method: 'DELETE',
        headers: bearer(accessToken),
        query: { vo: options.vo, secret_path: path },
      });
    },
  };
}

export type PapiClient = ReturnType<typeof createPapiClient>;
