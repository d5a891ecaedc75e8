/** `/api/resources` and `/api/{type}/{id}/collaborators[/{username}]`. See docs/api.md. */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { ineligible, unknownResourceType } from '../errors.js';
import { identityOf } from '../auth/current-user.js';
import { parseBody, parseField } from '../validation.js';
import { PERMISSIONS, RESOURCE_TYPES, type ResourceType } from '../mlflow/permissions.js';
import { presentCapabilities, presentCollaborator, presentResource } from './present.js';
import type { Actor, SharingService } from './service.js';

const typeSchema = z.enum(RESOURCE_TYPES, { error: `type must be one of ${RESOURCE_TYPES.join(', ')}.` });
const idSchema = z.string().min(1, 'The resource id is empty.').max(1024, 'The resource id is too long.');
const usernameSchema = z.string().trim().min(1, 'The username is empty.').max(320, 'The username is too long.');
const permissionBody = z.object({
  permission: z.enum(PERMISSIONS, { error: `permission must be one of ${PERMISSIONS.join(', ')}.` }),
});

/** Sharing needs an eligible person with a verified email: the same bar as changing the password. */
function actorOf(req: Request): Actor {
  const { eligibility } = identityOf(req);
  if (!eligibility.eligible) throw ineligible(eligibility.code, eligibility.message);
  return { username: eligibility.email };
}

function target(req: Request): { type: ResourceType; id: string } {
  const type = RESOURCE_TYPES.find((t) => t === req.params.type);
  if (!type) throw unknownResourceType(String(req.params.type), RESOURCE_TYPES);
  return { type, id: parseField(idSchema, req.params.id, 'id') };
}

const collaboratorName = (req: Request) => parseField(usernameSchema, req.params.username, 'username');

export function createSharingRouter(sharing: SharingService, currentUser: express.RequestHandler): Router {
  const router = express.Router();

  router.get('/resources', currentUser, async (req, res) => {
    const type = parseField(typeSchema, req.query.type, 'type');
    const actor = actorOf(req);
    const [capabilities, resources] = await Promise.all([sharing.capabilities(), sharing.listResources(actor, type)]);
    res
      .set('Cache-Control', 'no-store')
      .json({ type, capabilities: presentCapabilities(capabilities), resources: resources.map(presentResource) });
  });

  router.get('/:type/:id/collaborators', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const collaborators = await sharing.listCollaborators(actorOf(req), type, id);
    res.set('Cache-Control', 'no-store').json({ collaborators: collaborators.map(presentCollaborator) });
  });

  router.get('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const found = await sharing.getCollaborator(actorOf(req), type, id, collaboratorName(req));
    res.set('Cache-Control', 'no-store').json({
      username: found.username,
      permission: found.permission,
      effective_permission: found.effectivePermission,
    });
  });

  router.put('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const username = collaboratorName(req);
    const { permission } = parseBody(req, permissionBody);
    const result = await sharing.setCollaborator(actorOf(req), type, id, username, permission);
    res.status(result.created ? 201 : 200).json({ username: result.username, permission: result.permission });
  });

  router.delete('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    await sharing.removeCollaborator(actorOf(req), type, id, collaboratorName(req));
    res.status(204).end();
  });

  return router;
}
