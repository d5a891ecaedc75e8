import { describe, expect, it } from 'vitest';
import { resourceFixture } from '../../testing/sharingFixtures';
import { lookupSummary, permissionLabel, resourceLabel, typeForSlug, viaLabel } from '../labels';

describe('resourceLabel', () => {
  it('when the row is a resource, then it is called by its name', () => {
    expect(resourceLabel('experiment', resourceFixture({ id: '7', name: 'team/exp ü' }))).toBe('team/exp ü');
  });

  it.each([
    ['experiment', '*', 'All experiments'],
    ['registered_model', '*', 'All models'],
    ['prompt', '*', 'All prompts'],
    ['registered_model', 'team-*', 'Models named like team-*'],
    ['experiment', '12*', 'Experiments with an id like 12*'],
  ] as const)('when a role grants %s on the pattern %s, then the row says “%s”', (type, id, label) => {
    expect(resourceLabel(type, resourceFixture({ id, name: null, pattern: true }))).toBe(label);
  });
});

describe('words', () => {
  it('names the tabs in the address', () => {
    expect(typeForSlug('models')).toBe('registered_model');
    expect(typeForSlug('prompts')).toBe('prompt');
    expect(typeForSlug('registered_model')).toBeUndefined();
    expect(typeForSlug(undefined)).toBeUndefined();
  });

  it('says how a grant is held', () => {
    expect(viaLabel({ via: 'role', role: 'readers' })).toBe('through role readers');
    expect(viaLabel({ via: 'direct', role: null })).toBeNull();
    expect(permissionLabel('NO_PERMISSIONS')).toBe('No access');
    expect(permissionLabel(null)).toBe('None');
  });
});

describe('lookupSummary', () => {
  const GRACE = 'grace@example.org';

  it('when the person’s own grant is all they have, then only that is said', () => {
    expect(lookupSummary({ username: GRACE, permission: 'READ', effective_permission: 'READ' }, 'prompt')).toBe(
      `${GRACE} has Read access on this prompt.`,
    );
    expect(
      lookupSummary({ username: GRACE, permission: null, effective_permission: 'NO_PERMISSIONS' }, 'registered_model'),
    ).toBe(`${GRACE} has no permission of their own on this model.`);
  });

  it('when roles give the person more, then what they have all grants counted is added', () => {
    expect(lookupSummary({ username: GRACE, permission: null, effective_permission: 'EDIT' }, 'experiment')).toBe(
      `${GRACE} has no permission of their own on this experiment. All grants counted, they have: Edit.`,
    );
    expect(lookupSummary({ username: GRACE, permission: 'READ', effective_permission: 'MANAGE' }, 'experiment')).toBe(
      `${GRACE} has Read access on this experiment. All grants counted, they have: Manage.`,
    );
  });
});
