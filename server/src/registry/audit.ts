/**
 * Runs a state change and records it in the activity log with how it ended: `ok`, or the error code the
 * person was answered with. A record that cannot be written is logged, not thrown: the change itself has
 * happened (or failed) already, and answering otherwise would tell the person something untrue.
 */
import { AppError } from '../errors.js';
import { describeForLog } from '../http.js';
import type { ActivityEntry, ActivityLog } from './activity.js';

export interface AuditLogger {
  error(obj: object, msg?: string): void;
}

export function createAudit(activity: Pick<ActivityLog, 'record'>, logger: AuditLogger) {
  async function write(entry: ActivityEntry): Promise<void> {
    try {
      await activity.record(entry);
    } catch (err) {
      logger.error({ err: describeForLog(err), action: entry.action }, 'could not write the activity record');
    }
  }

  return {
    write,
    /** `run`, recorded whatever its outcome. */
    async run<T>(entry: Omit<ActivityEntry, 'outcome'>, run: () => Promise<T>): Promise<T> {
      try {
        const result = await run();
        await write({ ...entry, outcome: 'ok' });
        return result;
      } catch (err) {
        await write({ ...entry, outcome: err instanceof AppError ? err.code : 'internal_error' });
        throw err;
      }
    },
  };
}

export type Audit = ReturnType<typeof createAudit>;
