/** The activity API's wire format. The actor is shown by email only: issuer and subject stay in the log. */
import type { ActivityRecord } from '../registry/activity.js';

export function presentActivity(record: ActivityRecord, viewer: { issuer: string; subject: string }) {
  const service = record.actor_issuer === null;
  return {
    id: String(record.id),
    at: new Date(record.at).toISOString(),
    actor: {
      email: record.actor_email,
      you: !service && record.actor_issuer === viewer.issuer && record.actor_subject === viewer.subject,
      service,
    },
    action: record.action,
    target: { type: record.target_type, id: record.target_id, name: record.target_name },
    subject: record.subject_username,
    permission: record.permission,
    detail: record.detail,
    outcome: record.outcome,
  };
}
