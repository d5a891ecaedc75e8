/**
 * The maintenance job: deletes activity records older than the retention, disables accounts whose
 * owner has not signed in eligible for DEPROVISION_AFTER_DAYS, and deletes expired invitations. It runs in-process on a schedule; with
 * several replicas, the one that holds the `maintenance` lease runs it and the others skip that round.
 * The same code runs by hand (`cli sweep`), and `--dry-run` reports what it would do, changing nothing.
 */
import { randomUUID } from 'node:crypto';
import { describeForLog } from '../http.js';
import type { AccountService } from '../account/service.js';
import type { Registry } from '../registry/index.js';
import type { Invitations } from '../sharing/invitations.js';

const DAY_MS = 86_400_000;
const LEASE = 'maintenance';

export interface MaintenanceSettings {
  activityRetentionDays: number;
  deprovision: { afterDays: number | undefined };
  maintenanceIntervalSeconds: number;
}

export interface MaintenanceReport {
  /** False when another replica held the lease: nothing was done. */
  ran: boolean;
  dryRun: boolean;
  /** Activity records deleted (or, in a dry run, that would be). */
  pruned: number;
  /** Accounts disabled (or, in a dry run, that would be). */
  disabled: string[];
  /** Accounts whose disabling failed; retried next round. */
  failed: string[];
  /** Invitations past INVITATION_TTL_DAYS deleted (or, in a dry run, that would be). */
  invitationsExpired: number;
}

interface Logger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export function createMaintenance(deps: {
  registry: Pick<Registry, 'accounts' | 'activity' | 'leases' | 'now'>;
  accounts: Pick<AccountService, 'disableInactive'>;
  /** Deletes expired invitations, recording each. */
  invitations: Pick<Invitations, 'expire'>;
  settings: MaintenanceSettings;
  logger: Logger;
}) {
  const { registry, settings, logger } = deps;
  const holder = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  let firstRound: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function work(dryRun: boolean): Promise<Omit<MaintenanceReport, 'ran' | 'dryRun'>> {
    const now = registry.now();
    const pruneBefore = now - settings.activityRetentionDays * DAY_MS;
    const pruned = dryRun
      ? await registry.activity.countBefore(pruneBefore)
      : await registry.activity.prune(pruneBefore);
    const disabled: string[] = [];
    const failed: string[] = [];
    if (settings.deprovision.afterDays !== undefined) {
      const stale = await registry.accounts.staleSince(now - settings.deprovision.afterDays * DAY_MS);
      for (const binding of stale) {
        if (dryRun) {
          disabled.push(binding.username);
          continue;
        }
        try {
          await deps.accounts.disableInactive(binding);
          disabled.push(binding.username);
        } catch (err) {
          failed.push(binding.username);
          logger.error(
            { err: describeForLog(err), username: binding.username },
            'disabling an inactive account failed',
          );
        }
      }
    }
    const invitationsExpired = await deps.invitations.expire({ dryRun });
    return { pruned, disabled, failed, invitationsExpired };
  }

  async function runOnce(options: { dryRun?: boolean } = {}): Promise<MaintenanceReport> {
    const dryRun = options.dryRun ?? false;
    if (dryRun) return { ran: true, dryRun, ...(await work(true)) };
    // The lease outlives a slow round, and a crashed holder frees it after one interval.
    const ttl = Math.max(settings.maintenanceIntervalSeconds * 1000, 60_000);
    if (!(await registry.leases.acquire(LEASE, holder, ttl))) {
      return { ran: false, dryRun, pruned: 0, disabled: [], failed: [], invitationsExpired: 0 };
    }
    try {
      const report = { ran: true, dryRun, ...(await work(false)) };
      if (report.pruned || report.disabled.length || report.failed.length || report.invitationsExpired) {
        logger.info({ ...report }, 'maintenance done');
      }
      return report;
    } finally {
      await registry.leases.release(LEASE, holder).catch(() => undefined);
    }
  }

  function tick() {
    running ??= runOnce()
      .catch((err: unknown) => logger.error({ err: describeForLog(err) }, 'maintenance failed; retried next round'))
      .finally(() => (running = undefined));
  }

  return {
    runOnce,
    /** Runs a first round soon after start, then every interval; the timer never keeps the process alive. */
    start() {
      timer = setInterval(tick, settings.maintenanceIntervalSeconds * 1000);
      timer.unref();
      firstRound = setTimeout(tick, 5_000).unref();
    },
    async stop() {
      // The first round too: after stop() (and the registry's close) no round may start.
      clearTimeout(firstRound);
      if (timer) clearInterval(timer);
      timer = firstRound = undefined;
      await running;
    },
  };
}

export type Maintenance = ReturnType<typeof createMaintenance>;
