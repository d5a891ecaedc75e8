/**
 * The configuration of a process started from the command line (the server, the operator CLI): the
 * environment, and outside production `.env.local` then `.env` at the repository root, validated at once.
 * Every problem is printed in plain words and the process stops.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { loadConfig, type Config } from './config.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function configFromEnvironment(): Config {
  if (process.env.NODE_ENV !== 'production') {
    // Real environment variables win over .env.local, which wins over .env.
    dotenv.config({ path: [path.join(repoRoot, '.env.local'), path.join(repoRoot, '.env')], quiet: true });
  }
  const result = loadConfig(process.env);
  if (!result.ok) {
    process.stderr.write(
      `The MLflow sign-up service cannot start: fix the configuration.\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`,
    );
    process.exit(1);
  }
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
  return result.config;
}
