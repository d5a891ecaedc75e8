import { describe, expect, it } from 'vitest';
import { own } from '../own';

describe('own', () => {
  const table = { inactive: 'not signed in for a long time' };

  it('when the key is an entry of the table, then its value', () =>
    expect(own(table, 'inactive')).toBe('not signed in for a long time'));

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'missing'])(
    'when the key is %j, which the table does not hold, then undefined',
    (key) => expect(own(table, key)).toBeUndefined(),
  );
});
