import { directGrant, type HeldGrant, type UserAccess } from '../mlflow/permissions.js';
import {
  managerRemainsWithoutRole,
  membersOfRole,
  anotherManagerRemains,
  collaboratorsOf,
  directPermission,
  effectivePermission,
  heldResources,
  mayManage,
  patternMatches,
} from './rules.js';

const direct = (resourceId: string, permission: string, resourceType: HeldGrant['resourceType'] = 'experiment') =>
  directGrant(resourceType, resourceId, permission);
const role = (resourceId: string, permission: string, roleName = 'team'): HeldGrant => ({
  resourceType: 'experiment',
  resourceId,
  permission,
  via: 'role',
  roleName,
  pattern: resourceId.includes('*'),
});
const user = (username: string, grants: HeldGrant[], isAdmin = false): UserAccess => ({ username, isAdmin, grants });

describe('patternMatches', () => {
  it.each([
    ['1', '1', true],
    ['*', 'anything', true],
    ['team-*', 'team-a', true],
    ['team-*', 'teams', false],
    ['a.b', 'axb', false],
    ['1', '12', false],
  ])('when the pattern is %s and the id %s, then it matches: %s', (pattern, id, expected) => {
    expect(patternMatches(pattern, id)).toBe(expected);
  });
});

describe('effectivePermission', () => {
  it('when a role grant is higher than the direct one, then the role grant counts', () => {
    expect(effectivePermission(user('a', [direct('1', 'READ'), role('1', 'MANAGE')]), 'experiment', '1')).toBe(
      'MANAGE',
    );
  });
  it('when a pattern grant covers the id, then it counts', () => {
    expect(effectivePermission(user('a', [role('*', 'EDIT')]), 'experiment', '7')).toBe('EDIT');
  });
  it('when a grant is on another type, then it does not count', () => {
    expect(effectivePermission(user('a', [direct('1', 'MANAGE', 'registered_model')]), 'experiment', '1')).toBe(
      'NO_PERMISSIONS',
    );
  });
  it('when a DENY covers the id, then nothing else counts', () => {
    expect(effectivePermission(user('a', [direct('1', 'MANAGE'), role('*', 'DENY')]), 'experiment', '1')).toBe(
      'NO_PERMISSIONS',
    );
  });
  it('when a permission level is unknown, then it ranks as no access', () => {
    expect(effectivePermission(user('a', [direct('1', 'SUPERPOWER')]), 'experiment', '1')).toBe('NO_PERMISSIONS');
  });
});

describe('mayManage', () => {
  it('when the person is an MLflow admin, then they may manage anything', () => {
    expect(mayManage(user('a', [], true), 'prompt', 'p')).toBe(true);
  });
  it('when the person holds EDIT only, then they may not', () => {
    expect(mayManage(user('a', [direct('1', 'EDIT')]), 'experiment', '1')).toBe(false);
  });
});

describe('directPermission', () => {
  it('when only a role names the resource, then there is no direct grant', () => {
    expect(directPermission(user('a', [role('1', 'MANAGE')]), 'experiment', '1')).toBeNull();
  });
});

describe('collaboratorsOf', () => {
  it('when grants cover the resource directly and by pattern, then each is one row', () => {
    const everyone = [
      user('a', [direct('1', 'MANAGE')]),
      user('b', [role('*', 'READ', 'readers')]),
      user('c', [direct('2', 'READ')]),
    ];
    expect(collaboratorsOf(everyone, 'experiment', '1')).toEqual([
      { username: 'a', permission: 'MANAGE', via: 'direct', roleName: null },
      { username: 'b', permission: 'READ', via: 'role', roleName: 'readers' },
    ]);
  });
});

describe('anotherManagerRemains (the last-manager rule)', () => {
  it('when the target is the only manager, then nobody remains', () => {
    expect(
      anotherManagerRemains(
        [user('a', [direct('1', 'MANAGE')]), user('b', [direct('1', 'READ')])],
        'experiment',
        '1',
        'a',
      ),
    ).toBe(false);
  });
  it('when someone else manages directly, then a manager remains', () => {
    expect(
      anotherManagerRemains(
        [user('a', [direct('1', 'MANAGE')]), user('b', [direct('1', 'MANAGE')])],
        'experiment',
        '1',
        'a',
      ),
    ).toBe(true);
  });
  it('when the target also manages through a role, then they remain a manager', () => {
    expect(
      anotherManagerRemains([user('a', [direct('1', 'MANAGE'), role('1', 'MANAGE')])], 'experiment', '1', 'a'),
    ).toBe(true);
  });
  it('when the other manager is denied on the resource, then they do not count', () => {
    expect(
      anotherManagerRemains(
        [user('a', [direct('1', 'MANAGE')]), user('b', [direct('1', 'MANAGE'), role('*', 'DENY')])],
        'experiment',
        '1',
        'a',
      ),
    ).toBe(false);
  });
  it('when another manager holds MANAGE by pattern, then a manager remains', () => {
    expect(
      anotherManagerRemains(
        [user('a', [direct('1', 'MANAGE')]), user('b', [role('*', 'MANAGE')])],
        'experiment',
        '1',
        'a',
      ),
    ).toBe(true);
  });
});

describe('heldResources (merging role grants)', () => {
  it('when a direct and a role grant name one resource, then one row with the best permission, via the direct grant on a tie', () => {
    const rows = heldResources(user('a', [role('1', 'MANAGE'), direct('1', 'MANAGE')]), 'experiment');
    expect(rows).toEqual([
      { id: '1', permission: 'MANAGE', canManage: true, via: 'direct', roleName: null, pattern: false },
    ]);
  });
  it('when a role grant is higher than the direct one, then the row shows the role', () => {
    const rows = heldResources(user('a', [direct('1', 'READ'), role('1', 'EDIT', 'editors')]), 'experiment');
    expect(rows).toEqual([
      { id: '1', permission: 'EDIT', canManage: false, via: 'role', roleName: 'editors', pattern: false },
    ]);
  });
  it('when a pattern grant covers a resource, then its row is raised and the pattern is its own row', () => {
    const rows = heldResources(user('a', [direct('1', 'READ'), role('*', 'MANAGE', 'owners')]), 'experiment');
    expect(rows).toEqual([
      { id: '1', permission: 'MANAGE', canManage: true, via: 'direct', roleName: null, pattern: false },
      { id: '*', permission: 'MANAGE', canManage: false, via: 'role', roleName: 'owners', pattern: true },
    ]);
  });
  it('when the person is an admin, then every row can be managed', () => {
    expect(heldResources(user('a', [direct('1', 'READ')], true), 'experiment')[0]).toMatchObject({ canManage: true });
  });
});

describe('the last-manager rule with groups', () => {
  const G = 'oidc-group:realm_role:team';
  it('when a group holds MANAGE and has a member, then a manager’s direct MANAGE may go: the group still manages', () => {
    const everyone = [user('a', [direct('1', 'MANAGE')]), user('b', [role('1', 'MANAGE', G)])];
    expect(anotherManagerRemains(everyone, 'experiment', '1', 'a')).toBe(true);
  });
  it('when a group holds MANAGE but nobody has joined it, then it counts for nothing (MLflow reports no member)', () => {
    const everyone = [user('a', [direct('1', 'MANAGE')]), user('b', [])];
    expect(anotherManagerRemains(everyone, 'experiment', '1', 'a')).toBe(false);
  });
  it('when the group’s MANAGE is the last, then it may not go; with another manager, it may', () => {
    const onlyGroup = [user('a', [role('1', 'MANAGE', G)]), user('b', [role('1', 'MANAGE', G)])];
    expect(managerRemainsWithoutRole(onlyGroup, 'experiment', '1', G)).toBe(false);
    const withOwner = [...onlyGroup, user('c', [direct('1', 'MANAGE')])];
    expect(managerRemainsWithoutRole(withOwner, 'experiment', '1', G)).toBe(true);
  });
  it('when a member also manages through another role, then removing the group’s grant leaves them managing', () => {
    const everyone = [user('a', [role('1', 'MANAGE', G), role('1', 'MANAGE', 'owners')])];
    expect(managerRemainsWithoutRole(everyone, 'experiment', '1', G)).toBe(true);
  });
  it('when counting a group’s members, then the users carrying any of its role grants count, once each', () => {
    const everyone = [
      user('a', [role('1', 'READ', G), role('2', 'READ', G)]),
      user('b', [role('1', 'READ', 'other')]),
      user('c', [role('3', 'EDIT', G)]),
    ];
    expect(membersOfRole(everyone, G)).toBe(2);
  });
});
