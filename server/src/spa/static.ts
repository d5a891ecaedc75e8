/**
 * Serves the built SPA under the base path: hashed assets cached as immutable, `index.html` never cached,
 * history fallback for client-side routes. The base path is injected into `index.html` at runtime, so one
 * build serves any BASE_PATH.
 *
 * Compression: the client build writes `x.br` (Brotli) and `x.gz` (gzip) next to every compressible file
 * (see client/vite.config.ts), and a request whose `Accept-Encoding` allows it gets that file with
 * `Content-Encoding` — Brotli preferred, then gzip, the original otherwise — and always
 * `Vary: Accept-Encoding`. Nothing is compressed per request: the variants are made once, at build time
 * and at the highest levels, which on-the-fly compression could not afford.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';

const PLACEHOLDER = /<base href="[^"]*"\s*\/?>/;

/** The content codings served, in order of preference at equal quality, with their file suffixes. */
const CODINGS = [
  { coding: 'br', suffix: '.br' },
  { coding: 'gzip', suffix: '.gz' },
] as const;
type ContentCoding = (typeof CODINGS)[number]['coding'];

const ASSET_CACHE = { immutable: true, maxAge: '365d' } as const;
const OTHER_CACHE = { maxAge: '1h' } as const;

/**
 * The best of `available` for an `Accept-Encoding` header (RFC 9110 §12.5.3), or `undefined` for the
 * identity (uncompressed) representation: a coding with quality 0, or absent and not covered by `*`, is
 * not acceptable; among acceptable ones the highest quality wins, ties going to the order of `available`
 * (Brotli first); identity wins when the header rates it above every acceptable coding. A missing header
 * means identity: compression is only used when the client asked for it.
 */
function negotiateEncoding(header: string | undefined, available: readonly ContentCoding[]): ContentCoding | undefined {
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [rawName, ...params] = part.split(';');
    const name = rawName!.trim().toLowerCase();
    if (!name) continue;
    let quality = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) quality = Math.min(1, Math.max(0, Number(m[1]) || 0));
    }
    const key = name === 'x-gzip' ? 'gzip' : name;
    q.set(key, Math.max(quality, q.get(key) ?? 0));
  }
  let best: ContentCoding | undefined;
  let bestQ = 0;
  for (const coding of available) {
    const cq = q.get(coding) ?? q.get('*') ?? 0;
    if (cq > bestQ) {
      best = coding;
      bestQ = cq;
    }
  }
  if (best && q.has('identity') && q.get('identity')! > bestQ) return undefined;
  return best;
}

/** Files under `dir` that have precompressed variants, as URL paths (`/assets/x.js`) → their codings. */
function findPrecompressed(dir: string): Map<string, ContentCoding[]> {
  const found = new Map<string, ContentCoding[]>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.posix.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && !CODINGS.some((c) => entry.name.endsWith(c.suffix))) {
        const codings = CODINGS.filter((c) => existsSync(path.join(dir, rel + c.suffix))).map((c) => c.coding);
        if (codings.length > 0) found.set(`/${rel}`, codings);
      }
    }
  };
  walk('');
  return found;
}

export function createSpaRouter(distDir: string, basePath: string): Router | undefined {
  const indexFile = path.join(distDir, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const baseHref = `${basePath}/`;
  const source = readFileSync(indexFile, 'utf8');
  const index = PLACEHOLDER.test(source)
    ? source.replace(PLACEHOLDER, `<base href="${baseHref}">`)
    : source.replace(/<head>/i, `<head><base href="${baseHref}">`);

  /**
   * `index.html` as served: the build's own `index.html.br`/`.gz` cannot be used, since they hold the
   * build's placeholder `<base>` and the base path is only known at run time. The page is about 1 KB, so
   * it is compressed here once, at start (well under a millisecond, a few hundred bytes kept in memory),
   * rather than per request or not at all. It holds no secret (no token, no per-person data), so
   * compressing it opens no BREACH-style oracle.
   */
  const indexBodies: Record<ContentCoding | 'identity', Buffer> = {
    identity: Buffer.from(index, 'utf8'),
    br: brotliCompressSync(index, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: index.length },
    }),
    gzip: gzipSync(index, { level: zlib.Z_BEST_COMPRESSION }),
  };
  const indexCodings = CODINGS.map((c) => c.coding).filter((c) => indexBodies[c].length < indexBodies.identity.length);

  const precompressed = findPrecompressed(distDir);
  precompressed.delete('/index.html');

  const router = express.Router();
  const sendIndex: express.RequestHandler = (req, res) => {
    const coding = negotiateEncoding(req.get('Accept-Encoding'), indexCodings);
    res.vary('Accept-Encoding').set('Cache-Control', 'no-cache').type('html');
    if (coding) res.set('Content-Encoding', coding);
    res.send(indexBodies[coding ?? 'identity']);
  };

  /** A precompressed variant of a static file, when there is one and the client accepts it. */
  const sendPrecompressed = (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(req.path);
    } catch {
      return next();
    }
    const codings = precompressed.get(urlPath);
    if (!codings) return next();
    res.vary('Accept-Encoding');
    const coding = negotiateEncoding(req.get('Accept-Encoding'), codings);
    if (!coding) return next();
    const suffix = CODINGS.find((c) => c.coding === coding)!.suffix;
    // Content-Type of the original file (`send` keeps a Content-Type that is already set).
    res.type(path.extname(urlPath)).set('Content-Encoding', coding);
    const cache = urlPath.startsWith('/assets/') ? ASSET_CACHE : OTHER_CACHE;
    res.sendFile(path.join(distDir, urlPath + suffix), { ...cache, dotfiles: 'deny' }, (err) => {
      if (!err || res.headersSent) return;
      // The variant vanished from disk: fall back to the original file.
      res.removeHeader('Content-Encoding');
      res.removeHeader('Content-Type');
      next();
    });
  };

  router.get(['/', '/index.html'], sendIndex);
  router.use(sendPrecompressed);
  router.use(
    '/assets',
    express.static(path.join(distDir, 'assets'), { ...ASSET_CACHE, index: false, fallthrough: false }),
  );
  router.use(express.static(distDir, { ...OTHER_CACHE, index: false }));
  router.get('/{*splat}', (req, res, next) => (req.accepts('html') ? sendIndex(req, res, next) : next()));
  return router;
}
