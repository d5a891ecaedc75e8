/**
 * The operator's command line, with the same configuration as the server (environment, `.env`):
 *
 *   node server/dist/cli.js list
 *   node server/dist/cli.js bind EMAIL ISSUER SUB
 *   node server/dist/cli.js unbind EMAIL
 *   node server/dist/cli.js export-activity [--since 2026-01-01]
 *   node server/dist/cli.js sweep [--dry-run]
 *   node server/dist/cli.js migrate
 *
 * In the compose stack: `docker compose exec signup node server/dist/cli.js list`. Each change an
 * operator makes is recorded in the activity log as done by the service.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { configFromEnvironment } from './environment.js';
import { openRegistry, type Registry } from './registry/index.js';
import { SERVICE_ACTOR } from './registry/activity.js';
import { usernameKey } from './registry/accounts.js';
import { schemaVersion } from './registry/migrations.js';
import { createResourceLock } from './sharing/resource-lock.js';
import { mlflowClientOf, wireServices } from './services.js';
import type { Config } from './config.js';

const USAGE = `Usage: cli <command>
  list                          every account bound to a sign-in
  bind EMAIL ISSUER SUB         make the MLflow account EMAIL belong to the identity SUB at ISSUER
  unbind EMAIL                  forget who owns the account EMAIL (its next owner must claim it)
  export-activity [--since D]   the activity log as JSON lines (D: a date such as 2026-01-01)
  sweep [--dry-run]             disable inactive accounts and prune old activity now (or show what would be done)
  migrate                       bring the database schema up to date and print its version`;

class UsageError extends Error {}

const out = (line: string) => process.stdout.write(`${line}\n`);
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

async function list(registry: Registry) {
  const rows = await registry.accounts.list();
  out(['username', 'issuer', 'subject', 'bound_at', 'bound_by', 'last_eligible_at', 'disabled'].join('\t'));
  for (const r of rows) {
    const disabled = r.disabled_at === null ? '' : `${iso(r.disabled_at)} (${r.disabled_reason})`;
    out([r.username, r.issuer, r.subject, iso(r.bound_at), r.bound_by, iso(r.last_eligible_at), disabled].join('\t'));
  }
  process.stderr.write(`${rows.length} bound account${rows.length === 1 ? '' : 's'}\n`);
}

async function bind(config: Config, registry: Registry, [email, issuer, subject]: string[]) {
  if (!email || !issuer || !subject) throw new UsageError('bind needs EMAIL ISSUER SUB.');
  const mlflow = mlflowClientOf(config);
  const account = (await mlflow.getUser(usernameKey(email))) ?? (await mlflow.getUser(email.trim()));
  if (!account) throw new Error(`MLflow has no user ${email}: nothing to bind.`);
  const owner = await registry.accounts.byUsername(account.username);
  if (owner)
    throw new Error(`${account.username} is bound already (to ${owner.subject} at ${owner.issuer}): unbind it first.`);
  const held = await registry.accounts.byIdentity({ issuer, subject });
  if (held)
    throw new Error(`That identity owns ${held.username} already: one account per identity. Unbind that first.`);
  if (!(await registry.accounts.bind({ issuer, subject, email: account.username }, account.username, 'operator'))) {
    throw new Error('The binding changed meanwhile; run the command again.');
  }
  await registry.activity.record({
    actor: SERVICE_ACTOR,
    action: 'bind',
    target: { type: 'account', id: account.username },
    detail: `${issuer} ${subject}`,
    outcome: 'ok',
  });
  out(`${account.username} now belongs to ${subject} at ${issuer}.`);
}

async function unbind(registry: Registry, [email]: string[]) {
  if (!email) throw new UsageError('unbind needs EMAIL.');
  const binding = await registry.accounts.byUsername(email);
  if (!binding || !(await registry.accounts.unbind(email))) throw new Error(`${email} is not bound to anyone.`);
  await registry.activity.record({
    actor: SERVICE_ACTOR,
    action: 'unbind',
    target: { type: 'account', id: binding.username },
    outcome: 'ok',
  });
  out(`${binding.username} no longer belongs to anyone: the next eligible sign-in with its email can claim it.`);
}

async function exportActivity(registry: Registry, since: string | undefined) {
  const from = since === undefined ? 0 : Date.parse(since);
  if (Number.isNaN(from)) throw new UsageError(`--since must be a date such as 2026-01-01, not "${since}".`);
  for await (const r of registry.activity.since(from)) {
    out(
      JSON.stringify({
        id: r.id,
        at: iso(r.at),
        request_id: r.request_id,
        actor: { issuer: r.actor_issuer, subject: r.actor_subject, email: r.actor_email },
        action: r.action,
        target: { type: r.target_type, id: r.target_id, name: r.target_name },
        subject: r.subject_username,
        permission: r.permission,
        detail: r.detail,
        outcome: r.outcome,
      }),
    );
  }
}

async function sweep(config: Config, registry: Registry, dryRun: boolean) {
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  const resourceLock = createResourceLock();
  const { maintenance } = wireServices(config, { logger, registry, resourceLock });
  const report = await maintenance.runOnce({ dryRun });
  if (!report.ran) {
    out('Another replica is running the maintenance job right now; nothing was done.');
    return;
  }
  const verb = dryRun ? 'would ' : '';
  if (config.deprovision.afterDays === undefined)
    out('DEPROVISION_AFTER_DAYS is off: no account is disabled for inactivity.');
  for (const username of report.disabled) out(`${verb}disable ${username}`);
  for (const username of report.failed) out(`could not disable ${username} (see the log)`);
  out(
    `${dryRun ? 'Would delete' : 'Deleted'} ${report.pruned} activity record(s) older than ${config.activityRetentionDays} days.`,
  );
  if (report.invitationsExpired)
    out(`${dryRun ? 'Would delete' : 'Deleted'} ${report.invitationsExpired} expired invitation(s).`);
  await resourceLock.close();
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'dry-run': { type: 'boolean' }, since: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return;
  }
  const config = configFromEnvironment();
  const registry = await openRegistry(config.database);
  try {
    switch (command) {
      case 'list':
        return await list(registry);
      case 'bind':
        return await bind(config, registry, rest);
      case 'unbind':
        return await unbind(registry, rest);
      case 'export-activity':
        return await exportActivity(registry, values.since);
      case 'sweep':
        return await sweep(config, registry, values['dry-run'] ?? false);
      case 'migrate':
        out(`The schema is at ${await schemaVersion(registry.database)}.`);
        return;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } finally {
    await registry.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(err instanceof UsageError ? `${message}\n\n${USAGE}\n` : `${message}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
