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

    /** Creates or overwrites the secret (Vault KV v1: the whole object is replaced). */
    async writeCredentials(accessToken: string, credentials: StoredCredentials): Promise<void> {
      await request('/secrets', {
        method: 'POST',
        headers: bearer(accessToken),
        query: { vo: options.vo, secret_path: options.secretPath },
        json: { username: credentials.username, password: credentials.password },
      });
    },

    async deleteCredentials(accessToken: string): Promise<void> {
      await request('/secrets', {
        method: 'DELETE',
        headers: bearer(accessToken),
        query: { vo: options.vo, secret_path: options.secretPath },
      });
    },
  };
}

export type PapiClient = ReturnType<typeof createPapiClient>;
