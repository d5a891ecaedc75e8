/**
 * The built SPA goes over the wire compressed: the files the client build precompressed (`x.br`, `x.gz`
 * next to `x` in client/dist) are served with a negotiated `Content-Encoding` — Brotli first, then gzip,
 * the original otherwise — with `Vary: Accept-Encoding`, the original's Content-Type and the usual caching,
 * and the decoded bytes are exactly the original file's. Requests go through `node:http`, which (unlike
 * `fetch`) hands back the bytes as sent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';

import { repoRoot } from '../support/mlflow-venv.js';
import { startStack, type Stack } from '../support/stack.js';

const dist = path.join(repoRoot, 'client', 'dist');

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function rawRequest(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(res: RawResponse): Buffer {
  const coding = res.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(res.body);
  if (coding === 'gzip') return gunzipSync(res.body);
  if (coding === undefined) return res.body;
  throw new Error(`unexpected Content-Encoding ${coding}`);
}

const varyHasAcceptEncoding = (res: RawResponse) =>
  String(res.headers.vary ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .includes('accept-encoding');

/** Hashed assets the build precompressed both ways. */
const assets = existsSync(path.join(dist, 'assets'))
  ? readdirSync(path.join(dist, 'assets')).filter(
      (f) =>
        /\.(js|css)$/.test(f) &&
        existsSync(path.join(dist, 'assets', `${f}.br`)) &&
        existsSync(path.join(dist, 'assets', `${f}.gz`)),
    )
  : [];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ vault: false });
});
afterAll(async () => {
  await stack?.stop();
});

describe('the client build', () => {
  it('when built, then every JavaScript and CSS asset has a Brotli and a gzip variant that decode to it, unless that variant would not be smaller', () => {
    const all = readdirSync(path.join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f));
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((f) => /\.js$/.test(f)).length).toBeGreaterThan(0);
    const variants = [
      { ext: 'br', decode: brotliDecompressSync, encode: brotliCompressSync },
      { ext: 'gz', decode: gunzipSync, encode: (b: Buffer) => gzipSync(b, { level: 9 }) },
    ];
    for (const file of all) {
      const original = readFileSync(path.join(dist, 'assets', file));
      for (const { ext, decode, encode } of variants) {
        const variant = path.join(dist, 'assets', `${file}.${ext}`);
        if (existsSync(variant)) expect(decode(readFileSync(variant)).equals(original)).toBe(true);
        // Skipped only where it would not save a byte (a chunk of a few dozen bytes); the BFF then sends
        // the original. Anything of a kilobyte or more always has both.
        else
          expect({ file, ext, saves: encode(original).length < original.length, kb: original.length >= 1024 }).toEqual({
            file,
            ext,
            saves: false,
            kb: false,
          });
      }
    }
  });
});

describe('hashed assets', () => {
  it.each([
    ['br, gzip, deflate', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0, gzip;q=0.1', 'gzip'],
    ['*', 'br'],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['deflate', 'identity'],
    ['identity', 'identity'],
    ['gzip;q=0.5, identity', 'identity'],
    ['', 'identity'],
  ] as const)(
    'when Accept-Encoding is "%s", then the answer is %s-encoded and decodes to the file',
    async (accept, expected) => {
      expect(assets.length).toBeGreaterThan(0);
      for (const file of assets) {
        const identity = await rawRequest(`${stack.baseUrl}/assets/${file}`, { 'Accept-Encoding': 'identity' });
        const res = await rawRequest(`${stack.baseUrl}/assets/${file}`, accept ? { 'Accept-Encoding': accept } : {});
        expect(res.status).toBe(200);
        expect(res.headers['content-encoding'] ?? 'identity').toBe(expected);
        expect(res.headers['content-type']).toBe(identity.headers['content-type']);
        expect(res.headers['content-type']).toMatch(
          file.endsWith('.js') ? /^text\/javascript; charset=utf-8$/ : /^text\/css; charset=utf-8$/,
        );
        expect(varyHasAcceptEncoding(res)).toBe(true);
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(Number(res.headers['content-length'])).toBe(res.body.length);
        expect(decode(res).equals(readFileSync(path.join(dist, 'assets', file)))).toBe(true);
        if (expected !== 'identity') expect(res.body.length).toBeLessThan(identity.body.length);
      }
    },
  );

  it('when a compressed answer is revalidated with its ETag, then 304; the ETag differs per encoding', async () => {
    const url = `${stack.baseUrl}/assets/${assets[0]}`;
    const br = await rawRequest(url, { 'Accept-Encoding': 'br' });
    const gz = await rawRequest(url, { 'Accept-Encoding': 'gzip' });
    const plain = await rawRequest(url, { 'Accept-Encoding': 'identity' });
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
    const again = await rawRequest(url, { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
    expect(again.status).toBe(304);
  });

  it('when asked with HEAD, then the headers of the compressed answer and no body', async () => {
    const file = assets[0]!;
    const res = await rawRequest(`${stack.baseUrl}/assets/${file}`, { 'Accept-Encoding': 'br' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(Number(res.headers['content-length'])).toBe(readFileSync(path.join(dist, 'assets', `${file}.br`)).length);
    expect(res.body.length).toBe(0);
  });

  it('when an asset does not exist, then 404 without any Content-Encoding', async () => {
    const res = await rawRequest(`${stack.baseUrl}/assets/missing-0000.js`, { 'Accept-Encoding': 'br, gzip' });
    expect(res.status).toBe(404);
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});

describe('the page', () => {
  const expectedIndex = () => {
    const source = readFileSync(path.join(dist, 'index.html'), 'utf8');
    return source.replace(/<base href="[^"]*"\s*\/?>/, `<base href="${stack.config.basePath}/">`);
  };

  it.each([
    ['/', 'br, gzip', 'br'],
    ['/', 'gzip', 'gzip'],
    ['/', 'identity', 'identity'],
    ['/index.html', 'br', 'br'],
    ['/account', 'gzip, deflate, br', 'br'],
    ['/sharing/experiments', 'gzip', 'gzip'],
  ] as const)(
    'when %s is asked with Accept-Encoding "%s", then it comes %s-encoded, never cached, with the runtime <base>',
    async (route, accept, expected) => {
      const res = await rawRequest(`${stack.baseUrl}${route}`, { 'Accept-Encoding': accept, Accept: 'text/html' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding'] ?? 'identity').toBe(expected);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(varyHasAcceptEncoding(res)).toBe(true);
      const html = decode(res).toString('utf8');
      expect(html).toBe(expectedIndex());
      expect(html).toContain(`<base href="${stack.config.basePath}/">`);
    },
  );
});

describe('other static files', () => {
  it('when the favicon is asked for with Brotli, then it comes Brotli-encoded as SVG, cached for an hour', async () => {
    const original = path.join(dist, 'favicon.svg');
    expect(existsSync(`${original}.br`)).toBe(true);
    const res = await rawRequest(`${stack.baseUrl}/favicon.svg`, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    expect(varyHasAcceptEncoding(res)).toBe(true);
    expect(decode(res).equals(readFileSync(original))).toBe(true);
  });
});
