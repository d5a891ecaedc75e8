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
  };
}

const noGrants = async () => ({ releaseGrants: jest.fn(async () => undefined) });

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
    const mlflow = fakeMlflow({
      getUser: jest.fn(async () => ({ ...user, username: 'Admin@Example.org', is_admin: true })),
    });
    const service = createAccountService({
      mlflow,
      permissions: noGrants,
      papi: undefined,
      adminUsername: 'admin@example.org',
      logger,
    });
    const admin = { email: 'admin@example.org', accessToken: 't' };
    for (const attempt of [
      service.register(admin, 'x'.repeat(12)),
      service.changePassword(admin, 'x'.repeat(12)),
      service.deleteAccount(admin),
    ]) {
      expect(await codeOf(attempt)).toMatchObject({ status: 403, code: 'forbidden' });
    }
    expect(mlflow.updatePassword).not.toHaveBeenCalled();
    expect(mlflow.deleteUser).not.toHaveBeenCalled();
  });

  it('when MLflow refuses (any mapped error), then the refusal is passed on and Vault is not touched', async () => {
    const mlflow = fakeMlflow({
      createUser: jest.fn(async () => {
        throw new AppError(422, 'weak_password', 'MLflow refused the password.');
      }),
    });
    const papi = fakePapi();
    const service = createAccountService({ mlflow, permissions: noGrants, papi, adminUsername: 'admin', logger });
    expect(await codeOf(service.register(owner, 'x'.repeat(12)))).toMatchObject({ status: 422, code: 'weak_password' });
    expect(papi.writeCredentials).not.toHaveBeenCalled();
  });

  it('when the Vault write fails at registration, then the new MLflow user is deleted again and 502 vault_failed', async () => {
    const mlflow = fakeMlflow();
    const papi = fakePapi({
      writeCredentials: jest.fn(async () => {
        throw new UpstreamError('PAPI', 500, 'boom');
      }),
    });
    const service = createAccountService({ mlflow, permissions: noGrants, papi, adminUsername: 'admin', logger });
    expect(await codeOf(service.register(owner, 'x'.repeat(12)))).toMatchObject({ status: 502, code: 'vault_failed' });
    expect(mlflow.deleteUser).toHaveBeenCalledWith('a@example.org');
  });

  it('when the stored secret names another user, then the status is out_of_sync without trying it', async () => {
    const mlflow = fakeMlflow({ getUser: jest.fn(async () => user) });
    const papi = fakePapi({ readCredentials: jest.fn(async () => ({ username: 'someone@else.org', password: 'p' })) });
    const service = createAccountService({ mlflow, permissions: noGrants, papi, adminUsername: 'admin', logger });
    expect((await service.status(owner)).vault).toBe('out_of_sync');
    expect(mlflow.checkCredentials).not.toHaveBeenCalled();
  });

  it('when the Vault copy was checked once, then the next status asks MLflow nothing more than the account', async () => {
    const mlflow = fakeMlflow({ getUser: jest.fn(async () => user) });
    const papi = fakePapi({
      readCredentials: jest.fn(async () => ({ username: user.username, password: 'p'.repeat(12) })),
    });
    const service = createAccountService({ mlflow, permissions: noGrants, papi, adminUsername: 'admin', logger });
    expect((await service.status(owner)).vault).toBe('in_sync');
    expect((await service.status(owner)).vault).toBe('in_sync');
    expect(mlflow.checkCredentials).toHaveBeenCalledTimes(1);
  });

  it('when the Vault copy changes content, then it is checked again', async () => {
    let password = 'p'.repeat(12);
    const mlflow = fakeMlflow({
      getUser: jest.fn(async () => user),
      checkCredentials: jest.fn(async (_u: string, p: string) =>
        p === 'p'.repeat(12) ? { ok: true as const, user } : { ok: false as const, status: 401 },
      ),
    });
    const papi = fakePapi({ readCredentials: jest.fn(async () => ({ username: user.username, password })) });
    const service = createAccountService({ mlflow, permissions: noGrants, papi, adminUsername: 'admin', logger });
    expect((await service.status(owner)).vault).toBe('in_sync');
    password = 'q'.repeat(12);
    expect((await service.status(owner)).vault).toBe('out_of_sync');
    expect(mlflow.checkCredentials).toHaveBeenCalledTimes(2);
  });

  it('when the password is changed through the service, then the remembered check is forgotten', async () => {
    const mlflow = fakeMlflow({ getUser: jest.fn(async () => user) });
    const papi = fakePapi({
      readCredentials: jest.fn(async () => ({ username: user.username, password: 'p'.repeat(12) })),
    });
    const service = createAccountService({ mlflow, permissions: noGrants, papi, adminUsername: 'admin', logger });
    await service.status(owner);
    await service.changePassword(owner, 'p'.repeat(12));
    await service.status(owner);
    expect(mlflow.checkCredentials).toHaveBeenCalledTimes(2);
  });

  it('when deleting an account, then its grants are released before MLflow deletes the user', async () => {
    const order: string[] = [];
    const mlflow = fakeMlflow({
      getUser: jest.fn(async () => user),
      deleteUser: jest.fn(async () => {
        order.push('delete');
        return true;
      }),
    });
    const permissions = async () => ({
      releaseGrants: jest.fn(async () => {
        order.push('release');
      }),
    });
    const service = createAccountService({ mlflow, permissions, papi: undefined, adminUsername: 'admin', logger });
    await service.deleteAccount(owner);
    expect(order).toEqual(['release', 'delete']);
  });
});
