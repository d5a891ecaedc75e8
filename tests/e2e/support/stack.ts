/**
 * The stack for the browser tests: {@link startStack} serving a snapshot of the built SPA. Pass
 * {@link startE2eStack} to `useStack` (support/stack.ts) in every browser test file.
 */
import { existsSync, statSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startStack, type Stack, type StackOptions } from '../../support/stack.js';

/** The SPA as built by `pnpm --filter ./client build`. */
const CLIENT_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../client/dist');

/**
 * Copies `client/dist` to a fresh temporary directory and returns its path. The BFF reads `index.html` once
 * at start and the assets on every request, so a rebuild of `client/dist` during a run (vite empties the
 * directory) would leave it pointing at hashed files that are gone; a snapshot keeps one build for the whole
 * file. Fails loudly when there is no build, and warns when a client source is newer than it.
 */
async function snapshotClientDist(): Promise<string> {
  const index = path.join(CLIENT_DIST, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`No built SPA at ${CLIENT_DIST}. Build it first: cd /work/main && pnpm --filter ./client build`);
  }
  const built = statSync(index).mtimeMs;
  const src = path.resolve(CLIENT_DIST, '../src');
  const newer = existsSync(src)
    ? (await readdir(src, { recursive: true, withFileTypes: true })).filter(
        (d) => d.isFile() && statSync(path.join(d.parentPath, d.name)).mtimeMs > built,
      )
    : [];
  const example = newer[0];
  if (example) {
    console.warn(
      `client/dist is older than ${newer.length} client source file(s) (e.g. ${path.join(example.parentPath, example.name)}): the browser tests run the old build. Rebuild with pnpm --filter ./client build.`,
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-client-dist-'));
  await cp(CLIENT_DIST, dir, { recursive: true });
  return dir;
}

/**
 * {@link startStack} serving a snapshot of the built SPA (see {@link snapshotClientDist}); `stop()` also
 * deletes the snapshot. Every browser test file starts its stack with `useStack(options, startE2eStack)`.
 */
export async function startE2eStack(options: StackOptions = {}): Promise<Stack> {
  const dist = await snapshotClientDist();
  try {
    const stack = await startStack({ ...options, env: { CLIENT_DIST_DIR: dist, ...options.env } });
    const stop = stack.stop.bind(stack);
    stack.stop = async () => {
      try {
        await stop();
      } finally {
        await rm(dist, { recursive: true, force: true });
      }
    };
    return stack;
  } catch (err) {
    await rm(dist, { recursive: true, force: true });
    throw err;
  }
}
