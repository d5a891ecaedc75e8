import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api';
import { resourceFixture } from '../../testing/sharingFixtures';
import { matchesFilter, permissionLabel, resourceLabel, sharingError, typeForSlug, viaLabel } from '../text';

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

describe('matchesFilter', () => {
  const row = resourceFixture({ id: '42', name: 'Forecast Ü/2024' });

  it('when the filter is empty or blank, then every row matches', () => {
    expect(matchesFilter('experiment', row, '')).toBe(true);
    expect(matchesFilter('experiment', row, '   ')).toBe(true);
  });

  it('when the filter is part of the name in another case, then the row matches', () => {
    expect(matchesFilter('experiment', row, 'forecast ü')).toBe(true);
    expect(matchesFilter('experiment', row, 'nope')).toBe(false);
  });

  it('when the filter is the experiment id, then the experiment matches; a model is matched by name only', () => {
    expect(matchesFilter('experiment', row, '42')).toBe(true);
    expect(matchesFilter('registered_model', row, '42')).toBe(false);
  });

  it('when the name is written with combining characters, then the composed filter still matches', () => {
    expect(matchesFilter('prompt', resourceFixture({ name: 'summary u\u0308' }), 'summary ü')).toBe(true);
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

  it('when the person to share with has no account, then the error names them; other errors stay as they are', () => {
    const missing = new ApiError(404, 'user_not_registered', 'x has no MLflow account: they must register first.');
    expect(sharingError(missing, 'grace@example.org').message).toBe('grace@example.org has no MLflow account yet: ask them to register first.');
    const other = new ApiError(409, 'last_manager', 'Give MANAGE to someone else first.');
    expect(sharingError(other, 'grace@example.org')).toBe(other);
  });
});
