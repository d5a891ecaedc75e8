import { jest } from '@jest/globals';
import { AppError } from '../errors.js';
import { UpstreamError } from '../http.js';
import type { MlflowClient } from '../mlflow/client.js';
import type { PapiClient } from '../secrets/papi-client.js';
import { createAccountService } from './service.js';

const owner = { email: 'a@example.org', accessToken: 'token' };
const user = { id: 7, username: 'a@example.org', is_admin: false };
const logger = { warn: jest.fn(), error: jest.fn() };

function fakeMlflow(overrides: Partial<MlflowClient> = {}): MlflowClient {
  return {
    getUser: jest.fn(async () => null),
    createUser: jest.fn(async () => user),
    updatePassword: jest.fn(async () => undefined),
    deleteUser: jest.fn(async () => true),
    checkCredentials: jest.fn(async () => ({ ok: true as const, user })),
    ...overrides,
  } as unknown as MlflowClient;
}

function fakePapi(overrides: Partial<PapiClient> = {}): PapiClient {
  return {
    readCredentials: jest.fn(async () => null),
    writeCredentials: jest.fn(async () => undefined),
    deleteCredentials: jest.fn(async () => undefined),
    ...overrides,
  } as unknown as PapiClient;
}

async function codeOf(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('account service', () => {
  it('when the signed-in email is the service admin account, then nothing is done to it', async () => {
    const mlflow = fakeMlflow({ getUser: jest.fn(async () => ({ ...user, username: 'Admin@Example.org', is_admin: true })) });
    const service = createAccountService({ mlflow, papi: undefined, adminUsername: 'admin@example.org', logger });
    const admin = { email: 'admin@example.org', accessToken: 't' };
    for (const attempt of [service.register(admin, 'x'.repeat(12)), service.changePassword(admin, 'x'.repeat(12)), service.deleteAccount(admin)]) {
      expect(await codeOf(attempt)).toMatchObject({ status: 403, code: 'forbidden' });
    }
    expect(mlflow.updatePassword).not.toHaveBeenCalled();
    expect(mlflow.deleteUser).not.toHaveBeenCalled();
  });

  it("when MLflow refuses the password with its own rule, then 422 weak_password carries MLflow's sentence", async () => {
    const mlflow = fakeMlflow({
      createUser: jest.fn(async () => {
        throw new UpstreamError('MLflow', 400, 'x', { error_code: 'INVALID_PARAMETER_VALUE', message: 'Password must be at least 12 characters.' });
      }),
    });
    const service = createAccountService({ mlflow, papi: undefined, adminUsername: 'admin', logger });
    expect(await codeOf(service.register(owner, 'pw'))).toEqual({ status: 422, code: 'weak_password', message: 'MLflow refused the password: Password must be at least 12 characters.' });
  });

  it('when an MLflow 400 message carries internals, then they never reach the answer', async () => {
    const leaky = "(sqlite3.IntegrityError) UNIQUE constraint failed: users.username [SQL: INSERT INTO users (username, password_hash) VALUES ('a', 'pbkdf2:sha256:...')]";
    const mlflow = fakeMlflow({
      updatePassword: jest.fn(async () => {
        throw new UpstreamError('MLflow', 400, 'x', { error_code: 'INVALID_PARAMETER_VALUE', message: leaky });
      }),
      getUser: jest.fn(async () => user),
    });
    const service = createAccountService({ mlflow, papi: undefined, adminUsername: 'admin', logger });
    const refusal = await codeOf(service.changePassword(owner, 'x'.repeat(12)));
    expect(refusal).toMatchObject({ status: 422, code: 'weak_password' });
    expect(refusal.message).not.toMatch(/SQL|pbkdf2|sqlite/);
  });

  it('when MLflow does not answer, then 503 mlflow_unavailable', async () => {
    const mlflow = fakeMlflow({
      getUser: jest.fn(async () => {
        throw new UpstreamError('MLflow', 0, 'down');
      }),
    });
    const service = createAccountService({ mlflow, papi: undefined, adminUsername: 'admin', logger });
    expect(await codeOf(service.register(owner, 'x'.repeat(12)))).toMatchObject({ status: 503, code: 'mlflow_unavailable' });
  });

  it('when the Vault write fails at registration, then the new MLflow user is deleted again and 502 vault_failed', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi({ writeCredentials: jest.fn(async () => { throw new UpstreamError('PAPI', 500, 'boom'); }) });
    const service = createAccountService({ mlflow, papi, adminUsername: 'admin', logger });
    expect(await codeOf(service.register(owner, 'x'.repeat(12)))).toMatchObject({ status: 502, code: 'vault_failed' });
    expect(mlflow.deleteUser).toHaveBeenCalledWith('a@example.org');
  });

  it('when the stored secret names another user, then the status is out_of_sync without trying it', async () => {
    const mlflow = fakeMlflow({ getUser: jest.fn(async () => user) });
    const papi = fakePapi({ readCredentials: jest.fn(async () => ({ username: 'someone@else.org', password: 'p' })) });
    const service = createAccountService({ mlflow, papi, adminUsername: 'admin', logger });
    expect((await service.status(owner)).vault).toBe('out_of_sync');
    expect(mlflow.checkCredentials).not.toHaveBeenCalled();
  });
});
