/**
 * Test support, not shipped behaviour: what the service tests that run against the registry share. Each
 * test gets a clock it moves by hand and a fresh in-memory SQLite registry on that clock (the real
 * migrations and queries), so that nothing a test writes is seen by the next.
 */
import { afterEach, beforeEach, jest } from '@jest/globals';
import { openRegistry, type Registry } from '../registry/index.js';

/** The instant the tests' clock starts at unless a test file says otherwise. */
const TEST_START = Date.parse('2026-11-30T12:00:00Z');

export interface RegistryTestBed {
  /** The instant the clock is rewound to before each test. */
  readonly start: number;
  /** The clock's time now; a test moves it (`bed.time += MINUTE`). */
  time: number;
  /** The clock, for the registry and for the services under test. */
  readonly clock: () => number;
  /** The running test's registry: open only while a test runs. */
  readonly registry: Registry;
}

/**
 * Registers hooks for the whole test file: before each test the clock is rewound to `start`, every mock's
 * calls are cleared and a fresh registry is opened; after it the registry is closed. Call it once, at the
 * top level of the file, before the file's own `beforeEach` (which then sees the fresh registry).
 */
export function registryTestBed(start = TEST_START): RegistryTestBed {
  let registry: Registry | undefined;
  const bed: RegistryTestBed = {
    start,
    time: start,
    clock: () => bed.time,
    get registry(): Registry {
      if (!registry) throw new Error('the test registry is open only while a test runs');
      return registry;
    },
  };
  beforeEach(async () => {
    bed.time = start;
    jest.clearAllMocks();
    registry = await openRegistry({ kind: 'sqlite', file: ':memory:' }, bed.clock);
  });
  afterEach(async () => {
    await registry?.close();
    registry = undefined;
  });
  return bed;
}
