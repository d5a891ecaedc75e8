/**
 * Serves the built SPA under the base path: hashed assets cached as immutable, `index.html` never cached,
 * history fallback for client-side routes. The base path is injected into `index.html` at runtime, so one
 * build serves any BASE_PATH.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';

const PLACEHOLDER = /<base href="[^"]*"\s*\/?>/;

export function createSpaRouter(distDir: string, basePath: string): Router | undefined {
  const indexFile = path.join(distDir, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const baseHref = `${basePath}/`;
  const source = readFileSync(indexFile, 'utf8');
  const index = PLACEHOLDER.test(source)
    ? source.replace(PLACEHOLDER, `<base href="${baseHref}">`)
    : source.replace(/<head>/i, `<head><base href="${baseHref}">`);

  const router = express.Router();
  const sendIndex: express.RequestHandler = (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('html').send(index);
  };
  router.get(['/', '/index.html'], sendIndex);
  router.use(
    '/assets',
    express.static(path.join(distDir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
  );
  router.use(express.static(distDir, { index: false, maxAge: '1h' }));
  router.get('/{*splat}', (req, res, next) => (req.accepts('html') ? sendIndex(req, res, next) : next()));
  return router;
}
