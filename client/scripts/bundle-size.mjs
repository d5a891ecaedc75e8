#!/usr/bin/env node
/**
 * Prints the gzipped size of the JavaScript a browser must load before the app can start: the module
 * scripts and module preloads that dist/index.html references, plus everything they import statically.
 * Lazy route chunks (dynamic `import()`) are listed apart and do not count. Exits 1 over the budget.
 *
 * Usage: node scripts/bundle-size.mjs [distDir]   (run `pnpm build` first)
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { init, parse } from 'es-module-lexer';

const BUDGET_BYTES = 80 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.argv[2] ?? join(here, '..', 'dist'));
const indexHtml = join(dist, 'index.html');
if (!existsSync(indexHtml)) {
  console.error(`${relative(process.cwd(), indexHtml)} not found: run the build first.`);
  process.exit(2);
}

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
 * Resolves a relative URL as the browser would, against the page under its base (= dist/).
 * @param {string} url
 * @param {string} [fromFile] the module that imports it; the page when absent
 */
function toFile(url, fromFile) {
  const base = fromFile ? dirname(fromFile) : dist;
  const path = url.split(/[?#]/)[0] ?? url;
  return path.startsWith('/') ? join(dist, path) : resolve(base, path);
}

await init;
const html = readFileSync(indexHtml, 'utf8');
/** @type {Map<string, number>} file → gzipped bytes */
const initial = new Map();
/** @type {Set<string>} */
const lazy = new Set();
const queue = entryScripts(html).map((url) => toFile(url));

for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
  if (initial.has(file)) continue;
  const code = readFileSync(file);
  initial.set(file, gzipSync(code, { level: 9 }).length);
  const [imports] = parse(code.toString('utf8'));
  for (const { n: specifier, d: dynamic } of imports) {
    if (!specifier || !/^\.{0,2}\//.test(specifier)) continue;
    const target = toFile(specifier, file);
    if (dynamic === -1) queue.push(target);
    else lazy.add(target);
  }
}

// Vite lists lazy chunks in a __vite__mapDeps table rather than as literal import() specifiers.
for (const file of initial.keys()) {
  const code = readFileSync(file, 'utf8');
  for (const [, url] of code.matchAll(/["'](\.\.?\/[^"']+\.js)["']/g)) {
    if (!url) continue;
    const target = toFile(url, file);
    if (!initial.has(target) && existsSync(target)) lazy.add(target);
  }
}

const kb = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const name = (/** @type {string} */ file) => relative(dist, file);
let total = 0;
console.log('Initial JavaScript (gzip):');
for (const [file, size] of initial) {
  total += size;
  console.log(`  ${name(file).padEnd(44)} ${kb(size).padStart(9)}`);
}
const lazyFiles = [...lazy].filter((f) => !initial.has(f)).sort();
if (lazyFiles.length > 0) {
  console.log('Lazy chunks (not counted, gzip):');
  for (const file of lazyFiles) {
    console.log(`  ${name(file).padEnd(44)} ${kb(gzipSync(readFileSync(file), { level: 9 }).length).padStart(9)}`);
  }
}
console.log(`Total initial JavaScript: ${kb(total)} gzip (budget ${kb(BUDGET_BYTES)})`);
if (total > BUDGET_BYTES) {
  console.error(`Over budget by ${kb(total - BUDGET_BYTES)}.`);
  process.exit(1);
}
