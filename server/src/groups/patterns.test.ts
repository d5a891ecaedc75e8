import {
  claimedGroups,
  isShareable,
  parseGroupId,
  parseGroupPatterns,
  roleNameOf,
  shareableGroupsOf,
} from './patterns.js';

const patterns = (value: string) => parseGroupPatterns(value).patterns;

describe('parseGroupPatterns', () => {
  it('when SHAREABLE_GROUPS is empty, then there are no patterns and no errors (the feature is off)', () => {
    expect(parseGroupPatterns(undefined)).toEqual({ patterns: [], errors: [] });
    expect(parseGroupPatterns(' , ')).toEqual({ patterns: [], errors: [] });
  });

  it('when it holds the three kinds, then each is parsed with its glob', () => {
    const { patterns: p, errors } = parseGroupPatterns(
      'entitlement:urn:mace:egi.eu:group:vo.ai4eosc.eu:*, realm_role:team-*,group:/projects/*',
    );
    expect(errors).toEqual([]);
    expect(p.map((x) => [x.kind, x.glob])).toEqual([
      ['entitlement', 'urn:mace:egi.eu:group:vo.ai4eosc.eu:*'],
      ['realm_role', 'team-*'],
      ['group', '/projects/*'],
    ]);
  });

  it('when a pattern has an unknown kind, no kind or only a star, then each problem is reported in plain words', () => {
    const { errors } = parseGroupPatterns('role:x, team-*, realm_role:*, group:');
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/"role:x".*<kind>:<value>/);
    expect(errors[2]).toMatch(/every realm_role/);
  });
});

describe('shareableGroupsOf', () => {
  const claims = {
    eduperson_entitlement: [
      'urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu',
      'urn:mace:egi.eu:group:vo.other.eu:role=member#aai.egi.eu',
    ],
    realm_access: { roles: ['team-vision', 'offline_access', 'Team-upper'] },
    groups: ['/projects/alpha', '/other/beta'],
  };

  it('when the claims carry groups, then only those some pattern matches are shareable, sorted, once each', () => {
    const p = patterns('entitlement:urn:mace:egi.eu:group:vo.ai4eosc.eu:*,realm_role:team-*,group:/projects/*');
    expect(shareableGroupsOf(claims, p)).toEqual([
      'entitlement:urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu',
      'group:/projects/alpha',
      'realm_role:team-vision',
    ]);
  });

  it('when no pattern is set, then nothing is shareable', () => {
    expect(shareableGroupsOf(claims, [])).toEqual([]);
  });

  it('when a pattern names one kind, then a value of another kind does not match it', () => {
    expect(shareableGroupsOf(claims, patterns('group:team-*'))).toEqual([]);
  });

  it('when a pattern has no star, then it matches the whole value only', () => {
    expect(shareableGroupsOf(claims, patterns('realm_role:team'))).toEqual([]);
    expect(isShareable('realm_role:team-vision', patterns('realm_role:team-vision'))).toBe(true);
  });

  it('when entitlements come as `entitlements`, then they count too', () => {
    expect(claimedGroups({ entitlements: 'a:b' })).toEqual(['entitlement:a:b']);
  });
});

describe('parseGroupId and roleNameOf', () => {
  it('when a group id is well formed, then kind and value are split at the first colon', () => {
    expect(parseGroupId('entitlement:urn:x:y')).toEqual({ kind: 'entitlement', value: 'urn:x:y' });
    expect(parseGroupId('nope:x')).toBeUndefined();
    expect(parseGroupId('realm_role:')).toBeUndefined();
    expect(parseGroupId('realm_role: padded')).toBeUndefined();
  });

  it('when a role is named, then it says what it is and never looks like MLflow’s hidden __user_N__ roles', () => {
    expect(roleNameOf('realm_role:team-vision')).toBe('oidc-group:realm_role:team-vision');
    expect(roleNameOf('realm_role:__user_2__')).not.toMatch(/^__user_\d+__$/);
  });

  it('when the name would be longer than MLflow allows, then it is cut and made unique with a digest', () => {
    const a = roleNameOf(`entitlement:${'x'.repeat(300)}a`);
    const b = roleNameOf(`entitlement:${'x'.repeat(300)}b`);
    expect(a.length).toBeLessThanOrEqual(255);
    expect(a).toMatch(/^oidc-group:entitlement:x+#[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });
});
