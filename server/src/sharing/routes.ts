/** `/api/resources` and `/api/{type}/{id}/collaborators[/{username}]`. See docs/api.md. */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { AppError, validationFailed } from '../errors.js';
import { identityOf } from '../auth/current-user.js';
import { parseBody } from '../validation.js';
import { PERMISSIONS, RESOURCE_TYPES, type ResourceType } from './permissions.js';
import type { Actor, SharingService } from './service.js';

const typeSchema = z.enum(RESOURCE_TYPES, { error: `type must be one of ${RESOURCE_TYPES.join(', ')}.` });
const idSchema = z.string().min(1, 'The resource id is empty.').max(1024, 'The resource id is too long.');
const usernameSchema = z.string().trim().min(1, 'The username is empty.').max(320, 'The username is too long.');
const permissionBody = z.object({ permission: z.enum(PERMISSIONS, { error: `permission must be one of ${PERMISSIONS.join(', ')}.` }) });

function field<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw validationFailed([{ field: name, message: r.error.issues[0]!.message }]);
  return r.data;
}

/** Sharing needs an eligible person with a verified email: the same bar as changing the password. */
function actorOf(req: Request): Actor {
  const identity = identityOf(req);
  if (!identity.eligibility.eligible) throw new AppError(403, identity.eligibility.code, identity.eligibility.message);
  return { username: identity.eligibility.email };
}

function target(req: Request): { type: ResourceType; id: string } {
  const type = RESOURCE_TYPES.find((t) => t === req.params.type);
  if (!type) throw new AppError(404, 'not_found', `Unknown resource type "${String(req.params.type).slice(0, 40)}"; use ${RESOURCE_TYPES.join(', ')}.`);
  return { type, id: field(idSchema, req.params.id, 'id') };
}

export function createSharingRouter(sharing: SharingService, currentUser: express.RequestHandler): Router {
  const router = express.Router();

  router.get('/resources', currentUser, async (req, res) => {
    const type = field(typeSchema, req.query.type, 'type');
    const actor = actorOf(req);
    const [capabilities, resources] = await Promise.all([sharing.capabilities(), sharing.listResources(actor, type)]);
    res.set('Cache-Control', 'no-store').json({ type, capabilities, resources });
  });

  router.get('/:type/:id/collaborators', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const collaborators = await sharing.listCollaborators(actorOf(req), type, id);
    res.set('Cache-Control', 'no-store').json({
      collaborators: collaborators.map((c) => ({ username: c.username, permission: c.permission, via: c.via, role: c.roleName })),
    });
  });

  router.get('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const username = field(usernameSchema, req.params.username, 'username');
    res.set('Cache-Control', 'no-store').json(await sharing.getCollaborator(actorOf(req), type, id, username));
  });

  router.put('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const username = field(usernameSchema, req.params.username, 'username');
    const { permission } = parseBody(req, permissionBody);
    const result = await sharing.setCollaborator(actorOf(req), type, id, username, permission);
    res.status(result.created ? 201 : 200).json({ username: result.username, permission: result.permission });
  });

  router.delete('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const username = field(usernameSchema, req.params.username, 'username');
    await sharing.removeCollaborator(actorOf(req), type, id, username);
    res.status(204).end();
  });

  return router;
}
