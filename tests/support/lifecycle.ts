/**
 * Something a test file (or one `describe` block) shares: started in `beforeAll`, stopped in `afterAll`.
 * `useStack` (stack.ts) and `useBrowser` (e2e/support/chromium.ts) are built on {@link useForAll}.
 */

/**
 * Registers `beforeAll(start)` and `afterAll(stop)` in the enclosing block and returns a getter for what
 * `start` made; the getter throws a message naming `what` when called before `beforeAll` has run or after
 * it failed. jest runs `afterAll` hooks in the order they were declared.
 */
export function useForAll<T>(what: string, start: () => Promise<T>, stop: (value: T) => Promise<void>): () => T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  });
  afterAll(async () => {
    if (value !== undefined) await stop(value);
    value = undefined;
  });
  return () => {
    if (value === undefined) throw new Error(`no ${what}: it is started in beforeAll, which has not run or has failed`);
    return value;
  };
}
