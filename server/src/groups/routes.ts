/** `/api/me/groups` and `/api/{type}/{id}/groups[/{group}]`: sharing with groups. See docs/api.md. */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { unknownResourceType } from '../errors.js';
import { personOf } from '../account/person.js';
import { identityOf } from '../auth/current-user.js';
import type { AccountService } from '../account/service.js';
import { parseBody, parseField } from '../validation.js';
import { PERMISSIONS, RESOURCE_TYPES, type ResourceType } from '../mlflow/permissions.js';
import { MAX_GROUP_ID_LENGTH, parseGroupId } from './patterns.js';
import { presentGroupGrant, presentGroups } from './present.js';
import type { GroupActor, GroupService } from './service.js';

const idSchema = z.string().min(1, 'The resource id is empty.').max(1024, 'The resource id is too long.');
const groupSchema = z
  .string()
  .max(MAX_GROUP_ID_LENGTH, 'The group is too long.')
  .refine((g) => parseGroupId(g) !== undefined, 'A group is written <kind>:<value>, e.g. realm_role:team-vision.');
const permissionBody = z.object({
  permission: z.enum(PERMISSIONS, { error: `permission must be one of ${PERMISSIONS.join(', ')}.` }),
});

export interface GroupRouterDeps {
  groups: GroupService;
  accounts: Pick<AccountService, 'actingUsername'>;
  currentUser: express.RequestHandler;
}

function target(req: Request): { type: ResourceType; id: string } {
  const type = RESOURCE_TYPES.find((t) => t === req.params.type);
  if (!type) throw unknownResourceType(String(req.params.type), RESOURCE_TYPES);
  return { type, id: parseField(idSchema, req.params.id, 'id') };
}

/** `GET /api/me/groups`: the person's shareable groups and their last sync. */
export function createMyGroupsRouter(deps: Pick<GroupRouterDeps, 'groups'>): Router {
  const router = express.Router();
  router.get('/', async (req, res) => {
    const identity = identityOf(req);
    const overview = await deps.groups.overview({
      issuer: identity.issuer,
      subject: identity.sub,
      claims: identity.claims,
    });
    res.set('Cache-Control', 'no-store').json(presentGroups(overview));
  });
  return router;
}

export function createGroupSharingRouter(deps: GroupRouterDeps): Router {
  const { groups, currentUser } = deps;
  const router = express.Router();

  async function actorOf(req: Request): Promise<GroupActor> {
    const person = personOf(req, 'eligible');
    return {
      username: await deps.accounts.actingUsername(person),
      identity: { issuer: person.issuer, subject: person.subject, email: person.email },
      groups: groups.groupsOf(identityOf(req).claims),
      requestId: person.requestId,
    };
  }
  const groupOf = (req: Request) => parseField(groupSchema, req.params.group, 'group');

  router.get('/:type/:id/groups', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const grants = await groups.listGrants(await actorOf(req), type, id);
    res.set('Cache-Control', 'no-store').json({ groups: grants.map(presentGroupGrant) });
  });

  router.put('/:type/:id/groups/:group', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const group = groupOf(req);
    const { permission } = parseBody(req, permissionBody);
    const result = await groups.setGrant(await actorOf(req), type, id, group, permission);
    res.status(result.created ? 201 : 200).json({ group: result.group, permission: result.permission });
  });

  router.delete('/:type/:id/groups/:group', currentUser, async (req, res) => {
    const { type, id } = target(req);
    await groups.removeGrant(await actorOf(req), type, id, groupOf(req));
    res.status(204).end();
  });

  return router;
}
