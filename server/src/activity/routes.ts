/** `GET /api/me/activity`: the person's own page of the activity log. See docs/api.md. */
import express, { type Router } from 'express';
import { z } from 'zod';
import { personOf } from '../account/person.js';
import type { AccountService } from '../account/service.js';
import type { ActivityLog } from '../registry/activity.js';
import type { SharingService } from '../sharing/service.js';
import { parseField } from '../validation.js';
import { presentActivity } from './present.js';

const limitSchema = z.coerce
  .number({ error: 'limit must be a whole number from 1 to 100.' })
  .int('limit must be a whole number from 1 to 100.')
  .min(1, 'limit must be a whole number from 1 to 100.')
  .max(100, 'limit must be a whole number from 1 to 100.')
  .default(50);
const beforeSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,14}$/, 'before must be the id of an activity entry (next_before of the previous page).')
  .transform(Number)
  .optional();

export interface ActivityRouterDeps {
  activity: Pick<ActivityLog, 'page'>;
  accounts: Pick<AccountService, 'actingUsername'>;
  sharing: Pick<SharingService, 'managedResources'>;
}

export function createActivityRouter(deps: ActivityRouterDeps): Router {
  const router = express.Router();

  router.get('/', async (req, res) => {
    const limit = parseField(limitSchema, req.query.limit ?? undefined, 'limit');
    const before = parseField(beforeSchema, req.query.before ?? undefined, 'before');
    // Reading one's own history needs no eligibility: someone who lost it may still see what happened.
    const person = personOf(req, 'identified');
    // Without an account of their own, a person has only their own doings to read (a refused claim, say).
    const username = await deps.accounts.actingUsername(person).catch(() => null);
    const managed = username ? await deps.sharing.managedResources({ username, identity: person }) : [];
    const entries = await deps.activity.page(
      { actor: { issuer: person.issuer, subject: person.subject }, username, managed, machineAccountsOf: username },
      { limit: limit + 1, before },
    );
    const page = entries.slice(0, limit);
    res.set('Cache-Control', 'no-store').json({
      entries: page.map((entry) => presentActivity(entry, person)),
      next_before: entries.length > limit ? String(page.at(-1)!.id) : null,
    });
  });

  return router;
}
