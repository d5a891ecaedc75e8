/** `/api/resources` and `/api/{type}/{id}/collaborators[/{username}]`. See docs/api.md. */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { unknownResourceType } from '../errors.js';
import { personOf } from '../account/person.js';
import type { AccountService } from '../account/service.js';
import { parseBody, parseField } from '../validation.js';
import { PERMISSIONS, RESOURCE_TYPES, type ResourceType } from '../mlflow/permissions.js';
import {
  presentCapabilities,
  presentCollaborator,
  presentInvitation,
  presentPending,
  presentResource,
} from './present.js';
import type { Actor, SharingService } from './service.js';

const typeSchema = z.enum(RESOURCE_TYPES, { error: `type must be one of ${RESOURCE_TYPES.join(', ')}.` });
const idSchema = z.string().min(1, 'The resource id is empty.').max(1024, 'The resource id is too long.');
const usernameSchema = z.string().trim().min(1, 'The username is empty.').max(320, 'The username is too long.');
const permissionBody = z.object({
  permission: z.enum(PERMISSIONS, { error: `permission must be one of ${PERMISSIONS.join(', ')}.` }),
});

export interface SharingRouterDeps {
  sharing: SharingService;
  /** Which account the signed-in person acts as: only the one bound to their sign-in. */
  accounts: Pick<AccountService, 'actingUsername'>;
  /** A username as MLflow spells it, found whatever the letter case it was typed in. */
  canonicalUsername(typed: string): Promise<string>;
  currentUser: express.RequestHandler;
}

function target(req: Request): { type: ResourceType; id: string } {
  const type = RESOURCE_TYPES.find((t) => t === req.params.type);
  if (!type) throw unknownResourceType(String(req.params.type), RESOURCE_TYPES);
  return { type, id: parseField(idSchema, req.params.id, 'id') };
}

export function createSharingRouter(deps: SharingRouterDeps): Router {
  const { sharing, currentUser } = deps;
  const router = express.Router();

  /** Sharing needs an eligible person acting as the account bound to their sign-in. */
  async function actorOf(req: Request): Promise<Actor> {
    const person = personOf(req, 'eligible');
    return {
      username: await deps.accounts.actingUsername(person),
      identity: { issuer: person.issuer, subject: person.subject, email: person.email },
      requestId: person.requestId,
    };
  }

  const collaboratorName = (req: Request) =>
    deps.canonicalUsername(parseField(usernameSchema, req.params.username, 'username'));

  router.get('/resources', currentUser, async (req, res) => {
    const type = parseField(typeSchema, req.query.type, 'type');
    const actor = await actorOf(req);
    const [capabilities, resources] = await Promise.all([sharing.capabilities(), sharing.listResources(actor, type)]);
    res
      .set('Cache-Control', 'no-store')
      .json({ type, capabilities: presentCapabilities(capabilities), resources: resources.map(presentResource) });
  });

  router.get('/:type/:id/collaborators', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const collaborators = await sharing.listCollaborators(await actorOf(req), type, id);
    res.set('Cache-Control', 'no-store').json({ collaborators: collaborators.map(presentCollaborator) });
  });

  router.get('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const found = await sharing.getCollaborator(await actorOf(req), type, id, await collaboratorName(req));
    res.set('Cache-Control', 'no-store').json({
      username: found.username,
      permission: found.permission,
      effective_permission: found.effectivePermission,
      pending: presentPending(found.pending),
    });
  });

  router.put('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    const username = await collaboratorName(req);
    const { permission } = parseBody(req, permissionBody);
    const result = await sharing.setCollaborator(await actorOf(req), type, id, username, permission);
    // An email without an account was invited: the grant waits for them to register.
    if (result.pending) return void res.status(202).json(presentInvitation(result.pending));
    res.status(result.created ? 201 : 200).json({ username: result.username, permission: result.permission });
  });

  router.delete('/:type/:id/collaborators/:username', currentUser, async (req, res) => {
    const { type, id } = target(req);
    await sharing.removeCollaborator(await actorOf(req), type, id, await collaboratorName(req));
    res.status(204).end();
  });

  return router;
}
