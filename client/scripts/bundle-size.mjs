#!/usr/bin/env node
/**
 * Prints the size of the JavaScript a browser must load before the app can start: the module scripts and
 * module preloads that dist/index.html references, plus everything they import statically. Lazy route
 * chunks (dynamic `import()`) are listed apart and do not count. Sizes are given gzipped (level 9) and as
 * served to a browser that accepts Brotli (the build's precompressed `.br` file, else `.gz`, else the
 * file itself: see server/src/spa/static.ts). Exits 1 when the gzip total is over the budget.
 *
 * Usage: node scripts/bundle-size.mjs [distDir]   (run `pnpm build` first)
 *
 * {@link firstLoadScripts} is also used by the benchmark (tests/bench/run.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { init, parse } from 'es-module-lexer';

const BUDGET_BYTES = 80 * 1024;

/**
 * Local URLs of `<script type="module" src>` and `<link rel="modulepreload" href>` in the page.
 * @param {string} html
 * @returns {string[]}
 */
function entryScripts(html) {
  const urls = [];
  for (const [tag] of html.matchAll(/<(script|link)\b[^>]*>/gi)) {
    const attr = (/** @type {string} */ name) => new RegExp(`\\b${name}\\s*=\\s*["']([^"']*)["']`, 'i').exec(tag)?.[1];
    const isModuleScript = /^<script/i.test(tag) && attr('type') === 'module' && attr('src');
    const isPreload = /^<link/i.test(tag) && attr('rel') === 'modulepreload' && attr('href');
    const url = isModuleScript ? attr('src') : isPreload ? attr('href') : undefined;
    if (url && !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(url)) urls.push(url);
  }
  return urls;
}

/**
 * The JavaScript files of the first page load and the lazy chunks, as absolute paths under `dist`.
 * @param {string} dist the client build directory (holding index.html)
 * @returns {Promise<{ initial: string[], lazy: string[] }>}
 */
export async function firstLoadScripts(dist) {
  const root = resolve(dist);
  /**
   * Resolves a relative URL as the browser would, against the page under its base (= dist/).
   * @param {string} url
   * @param {string} [fromFile] the module that imports it; the page when absent
   */
  const toFile = (url, fromFile) => {
    const base = fromFile ? dirname(fromFile) : root;
    const path = url.split(/[?#]/)[0] ?? url;
    return path.startsWith('/') ? join(root, path) : resolve(base, path);
  };

  await init;
  const html = readFileSync(join(root, 'index.html'), 'utf8');
  /** @type {Set<string>} */
  const initial = new Set();
  /** @type {Set<string>} */
  const lazy = new Set();
  const queue = entryScripts(html).map((url) => toFile(url));
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (initial.has(file)) continue;
    initial.add(file);
    const [imports] = parse(readFileSync(file, 'utf8'));
    for (const { n: specifier, d: dynamic } of imports) {
      if (!specifier || !/^\.{0,2}\//.test(specifier)) continue;
      const target = toFile(specifier, file);
      if (dynamic === -1) queue.push(target);
      else lazy.add(target);
    }
  }
  // Vite lists lazy chunks in a __vite__mapDeps table rather than as literal import() specifiers.
  for (const file of initial) {
    const code = readFileSync(file, 'utf8');
    for (const [, url] of code.matchAll(/["'](\.\.?\/[^"']+\.js)["']/g)) {
      if (!url) continue;
      const target = toFile(url, file);
      if (!initial.has(target) && existsSync(target)) lazy.add(target);
    }
  }
  return { initial: [...initial], lazy: [...lazy].filter((f) => !initial.has(f)).sort() };
}

/**
 * Bytes on the wire for a browser that accepts Brotli and gzip: the precompressed variant the BFF would
 * pick, or the file itself.
 * @param {string} file
 */
export function servedBytes(file) {
  for (const suffix of ['.br', '.gz']) {
    if (existsSync(file + suffix)) return readFileSync(file + suffix).length;
  }
  return readFileSync(file).length;
}

async function main() {
  const here = dirname(fileURLToPath(import.meta.url));
  const dist = resolve(process.argv[2] ?? join(here, '..', 'dist'));
  const indexHtml = join(dist, 'index.html');
  if (!existsSync(indexHtml)) {
    console.error(`${relative(process.cwd(), indexHtml)} not found: run the build first.`);
    process.exit(2);
  }
  const { initial, lazy } = await firstLoadScripts(dist);
  const gzip = (/** @type {string} */ file) => gzipSync(readFileSync(file), { level: 9 }).length;
  const kb = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  const name = (/** @type {string} */ file) => relative(dist, file);
  let total = 0;
  let served = 0;
  console.log(`Initial JavaScript:${' '.repeat(27)}     gzip    served`);
  for (const file of initial) {
    const size = gzip(file);
    total += size;
    served += servedBytes(file);
    console.log(`  ${name(file).padEnd(44)} ${kb(size).padStart(9)} ${kb(servedBytes(file)).padStart(9)}`);
  }
  if (lazy.length > 0) {
    console.log('Lazy chunks (not counted):');
    for (const file of lazy)
      console.log(`  ${name(file).padEnd(44)} ${kb(gzip(file)).padStart(9)} ${kb(servedBytes(file)).padStart(9)}`);
  }
  console.log(
    `Total initial JavaScript: ${kb(total)} gzip (budget ${kb(BUDGET_BYTES)}), ${kb(served)} as served (Brotli)`,
  );
  if (total > BUDGET_BYTES) {
    console.error(`Over budget by ${kb(total - BUDGET_BYTES)}.`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
