import { describe, expect, it } from 'vitest';
import { resourceFixture } from '../../testing/sharingFixtures';
import { matchesFilter } from '../filter';

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

  it('when the row is a role’s pattern, then it matches what its label says it covers', () => {
    expect(matchesFilter('experiment', resourceFixture({ id: '*', name: null, pattern: true }), 'all exp')).toBe(true);
  });
});
