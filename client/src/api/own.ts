/**
 * `table[key]` when `key` is the table's own entry, else undefined. For look-ups keyed by what the BFF or the
 * browser hands over (an error code, an activity detail, a history state): on a plain object, keys such as
 * `constructor` or `toString` would find `Object.prototype`'s functions instead of nothing.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
