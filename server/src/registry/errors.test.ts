import { DatabaseSync } from 'node:sqlite';
import { AppError } from '../errors.js';
import { databaseFailures, isDatabaseFailure } from './errors.js';

/** The error node:sqlite really throws when a statement fails (here: a table that is not there). */
function sqliteError(): unknown {
  const db = new DatabaseSync(':memory:');
  try {
    db.exec('select * from accounts');
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error('expected node:sqlite to throw');
}

describe('isDatabaseFailure', () => {
  it('when node:sqlite, PostgreSQL or its driver fails, then it is a database failure', () => {
    const pgError = Object.assign(new Error('relation "accounts" does not exist'), {
      code: '42P01',
      severity: 'ERROR',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const poolTimeout = new Error('timeout exceeded when trying to connect');
    expect(isDatabaseFailure(pgError)).toBe(true);
    expect(isDatabaseFailure(refused)).toBe(true);
    expect(isDatabaseFailure(poolTimeout)).toBe(true);
    expect(isDatabaseFailure(sqliteError())).toBe(true);
  });

  it('when anything else fails, then it is not', () => {
    expect(isDatabaseFailure(new Error('boom'))).toBe(false);
    expect(isDatabaseFailure(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(false);
    expect(isDatabaseFailure({ code: 'ECONNREFUSED' })).toBe(false);
    expect(isDatabaseFailure(Object.assign(new Error('x'), { code: 'E1', severity: 'ERROR' }))).toBe(false);
  });
});

describe('databaseFailures', () => {
  it('when a database failure reaches it, then the next handler gets 503 database_unavailable, without the driver’s words', () => {
    let passed: unknown;
    databaseFailures(sqliteError(), {} as never, {} as never, (err?: unknown) => (passed = err));
    expect(passed).toBeInstanceOf(AppError);
    expect(passed).toMatchObject({ status: 503, code: 'database_unavailable' });
    expect((passed as AppError).message).not.toMatch(/sqlite|accounts|table/i);
  });

  it('when another error reaches it, then it is passed on unchanged', () => {
    const other = new Error('boom');
    let passed: unknown;
    databaseFailures(other, {} as never, {} as never, (err?: unknown) => (passed = err));
    expect(passed).toBe(other);
  });
});
