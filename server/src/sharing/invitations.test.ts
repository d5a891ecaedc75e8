import { jest } from '@jest/globals';
import { createAccountService, type Person } from '../account/service.js';
import type { CredentialCheck, MlflowUser } from '../mlflow/client.js';
import {
  directGrant,
  type HeldGrant,
  type PermissionsApi,
  type ResourceType,
  type UserAccess,
} from '../mlflow/permissions.js';
import { createAudit } from '../registry/audit.js';
import type { StoredCredentials } from '../secrets/papi-client.js';
import { codeOf } from '../testing/refusal.js';
import { registryTestBed } from '../testing/registry-test-bed.js';
import { createInvitations, isEmailShaped } from './invitations.js';
import { createResourceLock } from './resource-lock.js';
import type { ResourceNames } from './resource-names.js';
import { createSharingService, type Actor } from './service.js';

const DAY = 86_400_000;
const bed = registryTestBed();
const { start, clock } = bed;

const ISSUER = 'https://idp.example.org';
const GRACE = 'grace@example.org';
const FRANK = 'frank@example.org';
const IVAN = 'ivan@example.org';
const EXP = '7';
const EXP_NAME = 'team/exp ü';
const MODEL = 'churn model';
/** What the activity log says of Ivan's READ on the experiment, both when Grace invites him and when it is applied. */
const ivanReadsExp = {
  target_type: 'experiment',
  target_id: EXP,
  target_name: EXP_NAME,
  subject_username: IVAN,
  permission: 'READ',
  outcome: 'ok',
};

const logger = { warn: jest.fn(), error: jest.fn() };

/** MLflow's permission API over a map, of either generation: usernames compared exactly, as MLflow does. */
function fakePermissions(generation: 'rbac' | 'legacy', seed: Record<string, HeldGrant[]>) {
  const users = new Map<string, UserAccess>();
  const addUser = (username: string, grants: HeldGrant[] = []) =>
    users.set(username, { username, isAdmin: false, grants: [...grants] });
  for (const [username, grants] of Object.entries(seed)) addUser(username, grants);
  const copy = (u: UserAccess): UserAccess => ({ ...u, grants: u.grants.map((g) => ({ ...g })) });
  const withoutDirect = (u: UserAccess, type: ResourceType, id: string) =>
    u.grants.filter((g) => !(g.via === 'direct' && g.resourceType === type && g.resourceId === id));
  const api = {
    generation,
    canListCollaborators: generation === 'rbac',
    supports: (permission: string) => generation === 'rbac' || permission !== 'USE',
    userAccess: jest.fn<PermissionsApi['userAccess']>(async (username) => {
      const u = users.get(username);
      return u ? copy(u) : null;
    }),
    everyone: jest.fn<PermissionsApi['everyone']>(async () =>
      generation === 'rbac' ? [...users.values()].map(copy) : undefined,
    ),
    setPermission: jest.fn<PermissionsApi['setPermission']>(async (username, type, id, permission) => {
      const u = users.get(username);
      if (!u) throw new Error(`MLflow has no user ${username}`);
      u.grants = [...withoutDirect(u, type, id), directGrant(type, id, permission)];
    }),
    revoke: jest.fn<PermissionsApi['revoke']>(async (username, type, id) => {
      const u = users.get(username);
      if (!u) return false;
      const before = u.grants.length;
      u.grants = withoutDirect(u, type, id);
      return u.grants.length < before;
    }),
    releaseGrants: jest.fn<PermissionsApi['releaseGrants']>(async () => undefined),
  } satisfies PermissionsApi;
  const directOf = (username: string, type: ResourceType, id: string) =>
    users.get(username)?.grants.find((g) => g.via === 'direct' && g.resourceType === type && g.resourceId === id)
      ?.permission ?? null;
  return { api, users, addUser, directOf };
}
type FakePermissions = ReturnType<typeof fakePermissions>;

/** Which resources exist, and their names. */
function fakeNames(resources: Array<[ResourceType, string, string]>) {
  const known = new Map(resources.map(([type, id, name]) => [`${type}:${id}`, { type, id, name }]));
  const names = {
    find: jest.fn<ResourceNames['find']>(async (type, id) => known.get(`${type}:${id}`) ?? null),
    async experimentNames(ids: readonly string[]) {
      return new Map(
        ids.flatMap((id): Array<[string, string]> => {
          const r = known.get(`experiment:${id}`);
          return r ? [[id, r.name]] : [];
        }),
      );
    },
    async existingModels(list: readonly string[]) {
      return new Set(list.filter((n) => known.has(`registered_model:${n}`) || known.has(`prompt:${n}`)));
    },
    async isPrompt(name: string) {
      return known.has(`prompt:${name}`);
    },
  } satisfies ResourceNames;
  return { names, remove: (type: ResourceType, id: string) => known.delete(`${type}:${id}`) };
}

const actor = (username: string): Actor => ({
  username,
  identity: { issuer: ISSUER, subject: `sub-${username}`, email: username },
  requestId: `req-${username}`,
});
const grace = actor(GRACE);
const frank = actor(FRANK);

/** Grace manages the experiment and the model; Frank has an account and nothing on them. */
function setup(generation: 'rbac' | 'legacy', limit = 50) {
  const mlflow = fakePermissions(generation, {
    [GRACE]: [directGrant('experiment', EXP, 'MANAGE'), directGrant('registered_model', MODEL, 'MANAGE')],
    [FRANK]: [],
  });
  const resources = fakeNames([
    ['experiment', EXP, EXP_NAME],
    ['registered_model', MODEL, MODEL],
  ]);
  const lock = createResourceLock();
  const audit = createAudit(bed.registry.activity, logger);
  const permissions = async () => mlflow.api;
  const invitations = createInvitations({
    invitations: bed.registry.invitations,
    accounts: bed.registry.accounts,
    permissions,
    names: resources.names,
    lock,
    audit,
    ttlDays: 30,
    limit,
    now: clock,
    logger,
  });
  const sharing = createSharingService({ permissions, names: resources.names, lock, audit, invitations });
  return { mlflow, resources, invitations, sharing };
}

const invitationRows = () => bed.registry.database.db.selectFrom('invitations').selectAll().orderBy('id').execute();
const activityRows = () => bed.registry.database.db.selectFrom('activity').selectAll().orderBy('id').execute();

describe('isEmailShaped', () => {
  it.each(['ivan@example.org', 'Ivan.Idle+ml@sub.example.co.uk', 'ü@exämple.org', "o'neil@example.org"])(
    'when the username is %s, then it is email-shaped',
    (username) => expect(isEmailShaped(username)).toBe(true),
  );

  it.each([
    'ivan',
    'ivan@localhost',
    'frank@example.org/ci-nightly',
    'ivan idle@example.org',
    '@example.org',
    'ivan@',
    'ivan@.example.org',
    'ivan@example..org',
    'ivan@example.org.',
    'a@b@example.org',
    'ivan@exa\u0000mple.org',
    `${'x'.repeat(250)}@example.org`,
  ])('when the username is %j, then it is not', (username) => expect(isEmailShaped(username)).toBe(false));
});

describe.each(['rbac', 'legacy'] as const)('sharing with an email that has no account (%s)', (generation) => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup(generation);
  });

  it('when a manager shares with it, then an invitation is stored lower-cased with its expiry, MLflow is untouched, and it is recorded as invite', async () => {
    const result = await env.sharing.setCollaborator(grace, 'experiment', EXP, 'Ivan@Example.org', 'READ');
    expect(result).toEqual({
      username: IVAN,
      permission: 'READ',
      created: true,
      pending: {
        type: 'experiment',
        id: EXP,
        email: IVAN,
        permission: 'READ',
        invitedBy: GRACE,
        expiresAt: start + 30 * DAY,
      },
    });
    expect(env.mlflow.api.setPermission).not.toHaveBeenCalled();
    expect(await invitationRows()).toMatchObject([
      { resource_type: 'experiment', resource_id: EXP, email_key: IVAN, permission: 'READ', invited_by: GRACE },
    ]);
    expect(await activityRows()).toMatchObject([
      { actor_subject: `sub-${GRACE}`, action: 'invite', ...ivanReadsExp, request_id: `req-${GRACE}` },
    ]);
  });

  it('when shared again, then the one invitation changes permission, is renewed, and is recorded as invite_change', async () => {
    await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ');
    bed.time += 5 * DAY;
    const result = await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'EDIT');
    expect(result).toMatchObject({ created: false, pending: { permission: 'EDIT', expiresAt: bed.time + 30 * DAY } });
    expect(await invitationRows()).toMatchObject([{ permission: 'EDIT', expires_at: bed.time + 30 * DAY }]);
    expect((await activityRows()).map((r) => [r.action, r.permission])).toEqual([
      ['invite', 'READ'],
      ['invite_change', 'EDIT'],
    ]);
  });

  it('when the manager has INVITATIONS_PER_USER invitations out, then a new one is 409 invitation_limit and nothing is stored, while changing one, or one freed by a revoke or by expiry, still works', async () => {
    env = setup(generation, 2);
    const other = 'other@example.org';
    const third = 'third@example.org';
    await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ');
    await env.sharing.setCollaborator(grace, 'registered_model', MODEL, IVAN, 'READ');
    expect(await codeOf(env.sharing.setCollaborator(grace, 'experiment', EXP, other, 'READ'))).toEqual({
      status: 409,
      code: 'invitation_limit',
    });
    expect((await invitationRows()).map((r) => [r.resource_id, r.email_key])).toEqual([
      [EXP, IVAN],
      [MODEL, IVAN],
    ]);
    expect(await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'EDIT')).toMatchObject({ created: false });

    await env.sharing.removeCollaborator(grace, 'registered_model', MODEL, IVAN);
    expect(await env.sharing.setCollaborator(grace, 'experiment', EXP, other, 'READ')).toMatchObject({ created: true });
    bed.time += 31 * DAY;
    expect(await env.sharing.setCollaborator(grace, 'experiment', EXP, third, 'READ')).toMatchObject({ created: true });
  });

  it('when INVITATIONS_PER_USER is 0, then an email without an account is 404 user_not_registered, as before invitations', async () => {
    env = setup(generation, 0);
    expect(await codeOf(env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ'))).toEqual({
      status: 404,
      code: 'user_not_registered',
    });
    expect(await invitationRows()).toEqual([]);
  });

  it('when someone who does not manage the resource shares with an email, then 403 forbidden, before any look-up of the email', async () => {
    const invitable = jest.spyOn(env.invitations, 'invitable');
    for (const [type, id] of [
      ['experiment', EXP],
      ['experiment', '999'],
      ['registered_model', MODEL],
    ] as const) {
      expect(await codeOf(env.sharing.setCollaborator(frank, type, id, IVAN, 'READ'))).toEqual({
        status: 403,
        code: 'forbidden',
      });
      expect(await codeOf(env.sharing.getCollaborator(frank, type, id, IVAN))).toMatchObject({ code: 'forbidden' });
      expect(await codeOf(env.sharing.removeCollaborator(frank, type, id, IVAN))).toMatchObject({ code: 'forbidden' });
    }
    expect(invitable).not.toHaveBeenCalled();
    expect(await invitationRows()).toEqual([]);
  });

  it('when the username is not email-shaped, then 404 user_not_registered and nothing is stored', async () => {
    for (const username of ['ivan', 'ivan@localhost', `${GRACE}/ci-nightly`]) {
      expect(await codeOf(env.sharing.setCollaborator(grace, 'experiment', EXP, username, 'READ'))).toEqual({
        status: 404,
        code: 'user_not_registered',
      });
    }
    expect(await invitationRows()).toEqual([]);
  });

  it('when the registry binds the email but MLflow has no such user, then 404 user_not_registered: no invitation', async () => {
    await bed.registry.accounts.bind({ issuer: ISSUER, subject: 'sub-ivan', email: IVAN }, IVAN, 'registration');
    expect(await codeOf(env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ'))).toMatchObject({
      code: 'user_not_registered',
    });
    expect(await invitationRows()).toEqual([]);
  });

  it('when the email has an account, then sharing grants as before, with no invitation', async () => {
    const result = await env.sharing.setCollaborator(grace, 'experiment', EXP, FRANK, 'READ');
    expect(result).toEqual({ username: FRANK, permission: 'READ', created: true, pending: null });
    expect(env.mlflow.directOf(FRANK, 'experiment', EXP)).toBe('READ');
    expect(await invitationRows()).toEqual([]);
    expect(await env.sharing.getCollaborator(grace, 'experiment', EXP, FRANK)).toEqual({
      username: FRANK,
      permission: 'READ',
      effectivePermission: 'READ',
      pending: null,
    });
  });

  it('when USE is asked, then only MLflow 3.13+ invites with it (422 permission_not_supported before)', async () => {
    const attempt = env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'USE');
    if (generation === 'rbac') {
      expect(await attempt).toMatchObject({ pending: { permission: 'USE' } });
    } else {
      expect(await codeOf(attempt)).toEqual({ status: 422, code: 'permission_not_supported' });
      expect(await invitationRows()).toEqual([]);
    }
  });

  it('when a manager looks up an invited email, then its pending grant is shown; an email not invited is 404', async () => {
    await env.sharing.setCollaborator(grace, 'registered_model', MODEL, IVAN, 'EDIT');
    expect(await env.sharing.getCollaborator(grace, 'registered_model', MODEL, 'IVAN@example.org')).toEqual({
      username: IVAN,
      permission: null,
      effectivePermission: 'NO_PERMISSIONS',
      pending: expect.objectContaining({ permission: 'EDIT', expiresAt: start + 30 * DAY }),
    });
    expect(await codeOf(env.sharing.getCollaborator(grace, 'experiment', EXP, IVAN))).toMatchObject({
      code: 'user_not_registered',
    });
  });

  it('when a manager revokes the invitation, then it is gone, recorded as invite_revoke; revoking again is 404', async () => {
    await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ');
    await env.sharing.removeCollaborator(grace, 'experiment', EXP, 'Ivan@Example.org');
    expect(await invitationRows()).toEqual([]);
    expect(await codeOf(env.sharing.removeCollaborator(grace, 'experiment', EXP, IVAN))).toMatchObject({
      status: 404,
      code: 'user_not_registered',
    });
    expect((await activityRows()).map((r) => [r.action, r.subject_username, r.outcome])).toEqual([
      ['invite', IVAN, 'ok'],
      ['invite_revoke', IVAN, 'ok'],
      ['share_revoke', IVAN, 'user_not_registered'],
    ]);
    expect(env.mlflow.api.revoke).not.toHaveBeenCalled();
  });

  it('when listing collaborators, then MLflow 3.13+ lists invitations after the people (501 before)', async () => {
    await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'EDIT');
    await env.sharing.setCollaborator(grace, 'registered_model', MODEL, 'heidi@example.org', 'READ');
    const list = env.sharing.listCollaborators(grace, 'experiment', EXP);
    if (generation === 'legacy') {
      expect(await codeOf(list)).toEqual({ status: 501, code: 'not_supported_by_mlflow' });
      return;
    }
    expect(await list).toEqual([
      { username: GRACE, permission: 'MANAGE', via: 'direct', roleName: null },
      { username: IVAN, permission: 'EDIT', via: 'invitation', roleName: null, expiresAt: start + 30 * DAY },
    ]);
  });

  it('when an invitation has expired, then it is neither found nor listed, and sharing again invites afresh', async () => {
    await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ');
    bed.time += 30 * DAY;
    expect(await codeOf(env.sharing.getCollaborator(grace, 'experiment', EXP, IVAN))).toMatchObject({
      code: 'user_not_registered',
    });
    if (generation === 'rbac') expect(await env.sharing.listCollaborators(grace, 'experiment', EXP)).toHaveLength(1);
    expect(await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ')).toMatchObject({
      created: true,
    });
    expect((await activityRows()).map((r) => r.action)).toEqual(['invite', 'invite']);
  });
});

describe.each(['rbac', 'legacy'] as const)('applying invitations (%s)', (generation) => {
  let env: ReturnType<typeof setup>;
  const ivan = { username: IVAN, email: 'Ivan@Example.org', emailVerified: true, requestId: 'req-ivan' };

  beforeEach(async () => {
    env = setup(generation);
    await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ');
    await env.sharing.setCollaborator(grace, 'registered_model', MODEL, IVAN, 'EDIT');
    env.mlflow.addUser(IVAN);
    jest.clearAllMocks();
  });

  const applyRecords = async () => (await activityRows()).filter((r) => r.action === 'invite_apply');

  it('when the invited email is bound to an account, then each invitation becomes a direct grant, is deleted and recorded by the service', async () => {
    expect(await env.invitations.applyFor(ivan)).toEqual([
      { type: 'experiment', id: EXP, name: EXP_NAME, permission: 'READ', invitedBy: GRACE },
      { type: 'registered_model', id: MODEL, name: MODEL, permission: 'EDIT', invitedBy: GRACE },
    ]);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBe('READ');
    expect(env.mlflow.directOf(IVAN, 'registered_model', MODEL)).toBe('EDIT');
    expect(await invitationRows()).toEqual([]);
    expect(await applyRecords()).toMatchObject([
      { actor_issuer: null, actor_subject: null, ...ivanReadsExp, request_id: 'req-ivan' },
      { target_type: 'registered_model', target_id: MODEL, subject_username: IVAN, permission: 'EDIT', outcome: 'ok' },
    ]);
    // Nothing is left for the next visit.
    expect(await env.invitations.applyFor(ivan)).toEqual([]);
  });

  it('when the email is not verified, then nothing is applied and the invitations wait', async () => {
    expect(await env.invitations.applyFor({ ...ivan, emailVerified: false })).toEqual([]);
    expect(env.mlflow.api.setPermission).not.toHaveBeenCalled();
    expect(await invitationRows()).toHaveLength(2);
  });

  it('when MLflow fails to grant one, then it is logged and left, the others are applied, and the next visit applies it', async () => {
    env.mlflow.api.setPermission.mockRejectedValueOnce(new Error('MLflow is down'));
    expect((await env.invitations.applyFor(ivan)).map((a) => a.type)).toEqual(['registered_model']);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ resourceType: 'experiment', resourceId: EXP }),
      'applying an invitation failed; retried at the next visit',
    );
    expect(await invitationRows()).toMatchObject([{ resource_type: 'experiment' }]);
    expect(await env.invitations.applyFor(ivan)).toMatchObject([{ type: 'experiment', permission: 'READ' }]);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBe('READ');
  });

  it('when the resource is gone, then its invitation is dropped and recorded as resource_not_found', async () => {
    env.resources.remove('experiment', EXP);
    expect((await env.invitations.applyFor(ivan)).map((a) => a.type)).toEqual(['registered_model']);
    expect(await invitationRows()).toEqual([]);
    expect((await applyRecords()).map((r) => [r.target_type, r.outcome])).toEqual([
      ['experiment', 'resource_not_found'],
      ['registered_model', 'ok'],
    ]);
  });

  it('when the inviter no longer manages the resource, then the invitation is dropped and recorded as forbidden', async () => {
    env.mlflow.users.get(GRACE)!.grants = [directGrant('registered_model', MODEL, 'MANAGE')];
    expect((await env.invitations.applyFor(ivan)).map((a) => a.type)).toEqual(['registered_model']);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBeNull();
    expect((await applyRecords()).map((r) => [r.target_type, r.outcome])).toEqual([
      ['experiment', 'forbidden'],
      ['registered_model', 'ok'],
    ]);
  });

  it('when the person already holds as much or more, then MLflow is not changed and the invitation is settled', async () => {
    env.mlflow.users.get(IVAN)!.grants = [directGrant('experiment', EXP, 'MANAGE')];
    expect(await env.invitations.applyFor(ivan)).toMatchObject([
      { type: 'experiment', permission: 'MANAGE' },
      { type: 'registered_model', permission: 'EDIT' },
    ]);
    expect(env.mlflow.api.setPermission).toHaveBeenCalledTimes(1);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBe('MANAGE');
    expect(await invitationRows()).toEqual([]);
  });

  it('when two visits apply at once, then each invitation is applied and recorded once', async () => {
    const [a, b] = await Promise.all([env.invitations.applyFor(ivan), env.invitations.applyFor(ivan)]);
    expect([...a, ...b].map((x) => x.type).sort()).toEqual(['experiment', 'registered_model']);
    expect(env.mlflow.api.setPermission).toHaveBeenCalledTimes(2);
    expect(await applyRecords()).toHaveLength(2);
  });

  it('when a manager revokes the invitation after the person registered but before it was applied, then nothing of it is applied', async () => {
    await env.sharing.removeCollaborator(grace, 'experiment', EXP, IVAN);
    expect((await activityRows()).at(-1)).toMatchObject({ action: 'invite_revoke', outcome: 'ok' });
    expect((await env.invitations.applyFor(ivan)).map((a) => a.type)).toEqual(['registered_model']);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBeNull();
  });

  it('when a manager gives the registered person a grant directly, then it supersedes the invitation, and removing it leaves nothing to come back', async () => {
    await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'EDIT');
    await env.sharing.removeCollaborator(grace, 'experiment', EXP, IVAN);
    expect((await env.invitations.applyFor(ivan)).map((a) => a.type)).toEqual(['registered_model']);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBeNull();
  });
});

/** MLflow's user API over the fake permission API's users, for the account service. */
function fakeUsers(mlflow: FakePermissions, passwords: Map<string, string>) {
  let nextId = 10;
  const ids = new Map<string, number>();
  const view = (username: string): MlflowUser => ({
    id: ids.get(username) ?? (ids.set(username, nextId++), ids.get(username)!),
    username,
    is_admin: false,
  });
  return {
    getUser: jest.fn(async (username: string) => (mlflow.users.has(username) ? view(username) : null)),
    createUser: jest.fn(async (username: string, password: string) => {
      mlflow.addUser(username);
      passwords.set(username, password);
      return view(username);
    }),
    updatePassword: jest.fn(async (username: string, password: string) => {
      passwords.set(username, password);
    }),
    deleteUser: jest.fn(async (username: string) => mlflow.users.delete(username)),
    checkCredentials: jest.fn(async (username: string, password: string): Promise<CredentialCheck> =>
      passwords.get(username) === password ? { ok: true, user: view(username) } : { ok: false, status: 401 },
    ),
  };
}

describe('the account service applies invitations when an identity is bound', () => {
  let env: ReturnType<typeof setup>;
  let passwords: Map<string, string>;
  const person: Person = {
    issuer: ISSUER,
    subject: 'sub-ivan',
    email: 'Ivan@Example.org',
    accessToken: 'token-ivan',
    eligible: true,
    emailVerified: true,
    requestId: 'req-ivan',
  };
  const shared = [{ type: 'experiment', id: EXP, name: EXP_NAME, permission: 'READ', invitedBy: GRACE }];

  beforeEach(async () => {
    env = setup('rbac');
    passwords = new Map();
    await env.sharing.setCollaborator(grace, 'experiment', EXP, IVAN, 'READ');
  });

  function accountService(papi?: { readCredentials(token: string): Promise<StoredCredentials | null> }) {
    return createAccountService({
      mlflow: fakeUsers(env.mlflow, passwords),
      permissions: async () => env.mlflow.api,
      papi: papi && {
        readCredentials: papi.readCredentials,
        writeCredentials: async () => undefined,
        deleteCredentials: async () => undefined,
      },
      accounts: bed.registry.accounts,
      activity: bed.registry.activity,
      adminUsername: 'admin',
      logger,
      now: clock,
      invitations: env.invitations,
    });
  }

  it('when the invited person registers, then the answer says what was shared with them and MLflow holds the grant', async () => {
    const result = await accountService().register(person, 'Ivan-password-123');
    expect(result.sharedWithYou).toEqual(shared);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBe('READ');
    expect((await accountService().status(person)).sharedWithYou).toEqual([]);
    expect((await activityRows()).map((r) => r.action)).toEqual(['invite', 'register', 'invite_apply']);
  });

  it('when the invited person claims an account made before the registry, then the claim answer says it too', async () => {
    env.mlflow.addUser(IVAN);
    passwords.set(IVAN, 'Old-password-123');
    expect((await accountService().claim(person, 'Old-password-123')).sharedWithYou).toEqual(shared);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBe('READ');
  });

  it('when the Vault copy claims the account at a visit, then that visit applies the invitations', async () => {
    env.mlflow.addUser(IVAN);
    passwords.set(IVAN, 'Old-password-123');
    const papi = { readCredentials: async () => ({ username: IVAN, password: 'Old-password-123' }) };
    const status = await accountService(papi).status(person);
    expect(status.ownership.status).toBe('owned');
    expect(status.sharedWithYou).toEqual(shared);
  });

  it('when applying fails at registration, then the registration stands and the next visit applies it', async () => {
    env.mlflow.api.setPermission.mockRejectedValueOnce(new Error('MLflow is down'));
    const result = await accountService().register(person, 'Ivan-password-123');
    expect(result).toMatchObject({ account: { username: IVAN }, sharedWithYou: [] });
    expect((await accountService().status(person)).sharedWithYou).toEqual(shared);
  });

  it('when the operator allows unverified emails and this one is not verified, then registering applies nothing', async () => {
    const unverified = { ...person, emailVerified: false };
    expect((await accountService().register(unverified, 'Ivan-password-123')).sharedWithYou).toEqual([]);
    expect((await accountService().status(unverified)).sharedWithYou).toEqual([]);
    expect(env.mlflow.directOf(IVAN, 'experiment', EXP)).toBeNull();
    expect(await invitationRows()).toHaveLength(1);
  });

  it('when the owner is not eligible any more, then a visit applies nothing', async () => {
    await accountService().register({ ...person, emailVerified: false }, 'Ivan-password-123');
    expect((await accountService().status({ ...person, eligible: false })).sharedWithYou).toEqual([]);
    expect(await invitationRows()).toHaveLength(1);
  });
});
