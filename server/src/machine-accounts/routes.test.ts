import { jest } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import type { Identity } from '../auth/current-user.js';
import { errorHandler } from '../errors.js';
import { createMachineAccountRouter } from './routes.js';
import type { MachineAccountService } from './service.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const ACCOUNT = {
  username: 'ada@example.org/ci',
  label: 'ci',
  createdAt: NOW,
  rotatedAt: null,
  disabledAt: null,
};

function identity(eligible: boolean): Identity {
  return {
    issuer: 'https://idp.example.org',
    sub: 'sub-ada',
    claims: {},
    eligibility: eligible
      ? { eligible: true, email: 'ada@example.org' }
      : { eligible: false, email: 'ada@example.org', code: 'not_eligible', message: 'Not eligible.' },
    email: 'ada@example.org',
    name: 'Ada',
    accessToken: 'token-ada',
  } as unknown as Identity;
}

/** The router behind a stand-in for the session and the current-user middleware. */
function appWith(options: { eligible?: boolean; signedInSecondsAgo?: number } = {}) {
  const service = {
    limit: 5,
    list: jest.fn(async () => [ACCOUNT]),
    create: jest.fn(async () => ({ account: ACCOUNT, password: 'p'.repeat(32), vault: 'in_sync' as const })),
    rotate: jest.fn(async () => ({ password: 'q'.repeat(32), vault: null })),
    remove: jest.fn(async () => undefined),
  };
  const accounts = { actingUsername: jest.fn(async () => 'ada@example.org') };
  const app = express();
  app.use(express.json());
  app.use((req, _res, next) => {
    const authTime = Math.floor(Date.now() / 1000) - (options.signedInSecondsAgo ?? 10);
    (req as unknown as { session: unknown }).session = { user: { authTime } };
    req.identity = identity(options.eligible ?? true);
    next();
  });
  app.use(
    '/me/machine-accounts',
    createMachineAccountRouter(
      { reauthMaxAgeSeconds: 600 },
      { machineAccounts: service as unknown as MachineAccountService, accounts },
    ),
  );
  app.use(errorHandler({ error: jest.fn(), warn: jest.fn() }));
  return { app, service, accounts };
}

describe('machine-account routes', () => {
  it('when listed, then the wire format is snake_case, with the limit, and not cached', async () => {
    const { app } = appWith();
    const res = await request(app).get('/me/machine-accounts');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      limit: 5,
      machine_accounts: [
        {
          username: 'ada@example.org/ci',
          label: 'ci',
          created_at: '2026-11-30T12:00:00.000Z',
          rotated_at: null,
          disabled: false,
        },
      ],
    });
  });

  it('when one is made, then 201 with the password once, for the owner bound to the sign-in, and not cached', async () => {
    const { app, service, accounts } = appWith();
    const res = await request(app).post('/me/machine-accounts').send({ label: 'ci' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      username: 'ada@example.org/ci',
      password: 'p'.repeat(32),
      vault: { status: 'in_sync' },
    });
    expect(accounts.actingUsername).toHaveBeenCalledWith(expect.objectContaining({ subject: 'sub-ada' }));
    expect(service.create).toHaveBeenCalledWith(
      expect.objectContaining({ subject: 'sub-ada' }),
      'ada@example.org',
      'ci',
    );
  });

  it('when rotated without Vault, then 200 with the password and vault null', async () => {
    const { app } = appWith();
    const res = await request(app).post('/me/machine-accounts/ci/password');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ password: 'q'.repeat(32), vault: null });
  });

  it.each([
    ['POST', '/me/machine-accounts'],
    ['POST', '/me/machine-accounts/ci/password'],
    ['DELETE', '/me/machine-accounts/ci'],
  ])(
    'when the sign-in is not recent, then %s %s is 401 reauthentication_required and nothing changes',
    async (method, path) => {
      const { app, service } = appWith({ signedInSecondsAgo: 3600 });
      const res = await request(app)[method === 'POST' ? 'post' : 'delete'](path).send({ label: 'ci' });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('reauthentication_required');
      expect(service.create).not.toHaveBeenCalled();
      expect(service.rotate).not.toHaveBeenCalled();
      expect(service.remove).not.toHaveBeenCalled();
    },
  );

  it('when the sign-in is not recent, then listing still works', async () => {
    const { app } = appWith({ signedInSecondsAgo: 3600 });
    expect((await request(app).get('/me/machine-accounts')).status).toBe(200);
  });

  it('when the person is not eligible, then making one is 403 with the verdict, listing still works', async () => {
    const { app, service } = appWith({ eligible: false });
    const res = await request(app).post('/me/machine-accounts').send({ label: 'ci' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('not_eligible');
    expect(service.create).not.toHaveBeenCalled();
    expect((await request(app).get('/me/machine-accounts')).status).toBe(200);
  });

  it('when the path names a label no machine account can have, then 404 machine_account_not_found before the service', async () => {
    const { app, service } = appWith();
    const res = await request(app).delete(`/me/machine-accounts/${encodeURIComponent('bob@example.org/ci')}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('machine_account_not_found');
    expect(service.remove).not.toHaveBeenCalled();
  });

  it('when the body is not JSON, then 415', async () => {
    const { app } = appWith();
    const res = await request(app).post('/me/machine-accounts').set('Content-Type', 'text/plain').send('ci');
    expect(res.status).toBe(415);
  });
});
