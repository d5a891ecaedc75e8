import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { AppError, errorHandler, notFoundHandler } from './errors.js';
import { UpstreamError } from './http.js';

const logger = { error: jest.fn(), warn: jest.fn() };

function appThrowing(err: unknown) {
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.post('/x', () => {
    throw err;
  });
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}

describe('errorHandler', () => {
  it('when an AppError is thrown, then its status, code, message and fields are answered', async () => {
    const res = await request(
      appThrowing(new AppError(422, 'weak_password', 'Too short.', [{ field: 'password', message: 'Too short.' }])),
    ).post('/x');
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: { code: 'weak_password', message: 'Too short.', fields: [{ field: 'password', message: 'Too short.' }] },
    });
  });

  it('when something unknown is thrown, then 500 internal_error without the stack or upstream body', async () => {
    const res = await request(appThrowing(new UpstreamError('MLflow', 500, 'boom', { secret: 'upstream-body' }))).post(
      '/x',
    );
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
    expect(JSON.stringify(res.body)).not.toMatch(/upstream-body|at .*\.ts/);
    expect(logger.error).toHaveBeenCalled();
  });

  it('when the body is not JSON, then 400 invalid_json', async () => {
    const res = await request(appThrowing(new Error('unreached')))
      .post('/x')
      .set('Content-Type', 'application/json')
      .send('{"a":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });

  it('when the body is over 16 KB, then 413 payload_too_large', async () => {
    const res = await request(appThrowing(new Error('unreached')))
      .post('/x')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(17 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('when no route matches, then 404 not_found in the same shape', async () => {
    const res = await request(appThrowing(new Error('unreached'))).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });
});

describe('the error catalogue', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const errorsSource = readFileSync(path.join(here, 'errors.ts'), 'utf8');
  const docs = readFileSync(path.join(here, '../../docs/api.md'), 'utf8');
  const sources = readdirSync(here, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'errors.ts')
    .map((f) => readFileSync(path.join(here, f), 'utf8'));

  /** Codes built in errors.ts, plus the eligibility verdicts passed through `ineligible(code, …)`. */
  const emittable = new Set([
    ...[...errorsSource.matchAll(/new AppError\(\s*\d{3},\s*'([a-z_]+)'/g)].map((m) => m[1]!),
    ...[...errorsSource.matchAll(/ineligible\(\s*'([a-z_]+)'/g)].map((m) => m[1]!),
    'not_eligible',
    'email_not_verified',
  ]);
  const table = docs.slice(docs.indexOf('| status | code | when |'), docs.indexOf('## Auth'));
  const documented = new Set(
    [...table.matchAll(/^\| \d{3} \| (.+?) \|/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/`([a-z_]+)`/g)].map((c) => c[1]!),
    ),
  );

  it('when a code can be answered, then docs/api.md documents it, and every documented code can be answered', () => {
    expect([...emittable].sort()).toEqual([...documented].sort());
  });

  it('when errors.ts exports a factory, then some module uses it (no dead codes)', () => {
    const factories = [...errorsSource.matchAll(/^export const ([a-zA-Z]+) = \(/gm)]
      .map((m) => m[1]!)
      .filter((n) => n !== 'notFoundHandler');
    const calls = (source: string, name: string) => new RegExp(`\\b${name}\\(`).test(source);
    const unused = factories.filter((name) => !sources.some((s) => calls(s, name)) && !calls(errorsSource, name));
    expect(unused).toEqual([]);
  });

  it('when a module outside errors.ts needs an error, then it calls a factory instead of building an AppError', () => {
    expect(sources.filter((s) => /new AppError\(/.test(s))).toEqual([]);
  });
});
