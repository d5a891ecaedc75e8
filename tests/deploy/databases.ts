/**
 * The stack's PostgreSQL databases for the deployment tests, on a throw-away server
 * (tests/support/postgres.ts): {@link createStackDatabases} runs deploy/database/init/10-create-databases.sh,
 * as the postgres image does on a fresh volume, and {@link query} reads them back.
 */
import pg from 'pg';
import type { PostgresServer } from '../support/postgres.js';
import { pgToolsEnv, runScriptOk, scripts } from './scripts.js';

export interface StackDatabases {
  mlflow: { name: string; user: string; password: string };
  auth: { name: string; user: string; password: string };
  signup: { name: string; user: string; password: string };
  /** The variables the init script and the mlflow entrypoint read (MLFLOW_DB_*, MLFLOW_AUTH_DB_*, SIGNUP_DB_*). */
  env: Record<string, string>;
}

/**
 * Runs the database init script against `server`. The default passwords of the MLflow roles contain
 * characters that must be escaped in a URL and in an ini file; the signup one is URL-safe, as required.
 */
export async function createStackDatabases(server: PostgresServer, overrides: Partial<Record<string, string>> = {}): Promise<StackDatabases> {
  const env: Record<string, string> = {
    MLFLOW_DB_NAME: 'mlflow',
    MLFLOW_DB_USER: 'mlflow',
    MLFLOW_DB_PASSWORD: `tr@ck:ing/p%40ss'w"rd$HOME`,
    MLFLOW_AUTH_DB_NAME: 'mlflow_auth',
    MLFLOW_AUTH_DB_USER: 'mlflow_auth',
    MLFLOW_AUTH_DB_PASSWORD: 'au#th?p&ss %s 100%',
    SIGNUP_DB_NAME: 'signup',
    SIGNUP_DB_USER: 'signup',
    SIGNUP_DB_PASSWORD: 'signup-Pw_0123.456~x',
  };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = v;
  await runScriptOk(scripts.createDatabases, [], pgToolsEnv(server, env));
  return {
    mlflow: { name: env.MLFLOW_DB_NAME!, user: env.MLFLOW_DB_USER!, password: env.MLFLOW_DB_PASSWORD! },
    auth: { name: env.MLFLOW_AUTH_DB_NAME!, user: env.MLFLOW_AUTH_DB_USER!, password: env.MLFLOW_AUTH_DB_PASSWORD! },
    signup: { name: env.SIGNUP_DB_NAME!, user: env.SIGNUP_DB_USER!, password: env.SIGNUP_DB_PASSWORD! },
    env,
  };
}

/** Runs one query as the superuser (or the given role) in `database`. */
export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  server: PostgresServer,
  database: string,
  sql: string,
  params: unknown[] = [],
  as?: { user: string; password: string },
): Promise<T[]> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    database,
    user: as?.user ?? server.superuser,
    password: as?.password ?? server.password,
  });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
