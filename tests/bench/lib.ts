/**
 * Helpers of the benchmark (run.ts): the BFF as a separate process and its memory, a bounded worker pool,
 * percentiles, a minimal cookie jar for the fast sign-in loop, and raw HTTP (bytes as sent on the wire).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { repoRoot } from '../support/mlflow-venv.js';

import { sleep } from '../support/timing.js';

export { sleep };
export const MB = 1024 * 1024;

/** The `p`-th percentile (nearest rank) of `values`, e.g. p = 50 or 99. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Milliseconds `fn` takes, and its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/**
 * Runs `fn(0..n-1)` with at most `concurrency` at once; stops starting new ones after `deadline` (epoch
 * ms). Resolves with the results of those that ran (holes for those that did not) and how many ran.
 */
export async function pool<T>(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
  opts: { deadline?: number; onProgress?: (done: number) => void } = {},
): Promise<{ results: T[]; done: number }> {
  const results: T[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      if (opts.deadline !== undefined && Date.now() > opts.deadline) return;
      results[i] = await fn(i);
      done++;
      opts.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { results, done };
}

/* ------------------------------------------------------------------------------------------------ */

/** Cookies of one browser for one site, enough for the sign-in loop: name → value, honouring deletion. */
export class MiniJar {
  readonly cookies = new Map<string, string>();
  constructor(header?: string) {
    for (const pair of (header ?? '').split(';')) {
      const i = pair.indexOf('=');
      if (i > 0) this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
  take(res: Response): this {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair!.indexOf('=');
      if (i <= 0) continue;
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.split('=').map((s) => s.trim());
        if (/^max-age$/i.test(k!)) return Number(v) <= 0;
        if (/^expires$/i.test(k!)) return Date.parse(v ?? '') <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export const isRedirect = (status: number) => [301, 302, 303, 307, 308].includes(status);

/* ------------------------------------------------------------------------------------------------ */

/** One response as sent: status, headers and the body's bytes on the wire (not decoded). */
export function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/* ------------------------------------------------------------------------------------------------ */

export interface Memory {
  /** VmRSS: everything resident, in bytes. */
  rss: number;
  /** RssAnon: private memory (heap, stacks, malloc arenas). */
  anon: number;
  /** RssFile: file-backed pages (mostly the node binary and the libraries it maps), shared between processes. */
  file: number;
}

/** Resident memory of a process, from /proc (Linux) or `ps` (elsewhere: VmRSS only). */
function memoryOf(pid: number): Memory {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) {
    const text = readFileSync(status, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  }
  throw new Error('memory figures need /proc (Linux)');
}

export interface GcProbe {
  /** `process.memoryUsage()` just before and just after a full GC. */
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
}

/** How the production image runs node: the `ENV` and the node flags of the Dockerfile's `runtime` stage. */
export interface ImageRuntime {
  /** NODE_OPTIONS, MALLOC_ARENA_MAX, UV_THREADPOOL_SIZE when the image sets them. */
  env: Record<string, string>;
  /** Flags between `node` and the script in the image's CMD (V8 flags NODE_OPTIONS may not carry). */
  nodeArgs: string[];
}

export function imageRuntime(): ImageRuntime {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const stage = dockerfile.split(/^FROM\s/m).find((s) => /\bAS\s+runtime\b/i.test(s.split('\n')[0]!)) ?? '';
  const all: Record<string, string> = {};
  for (const block of stage.matchAll(/^ENV\s+((?:.*\\\n)*.*)$/gm)) {
    const text = block[1]!.replace(/\\\n/g, ' ');
    for (const m of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) all[m[1]!] = m[3] ?? m[2]!;
  }
  const env: Record<string, string> = {};
  for (const key of ['NODE_OPTIONS', 'MALLOC_ARENA_MAX', 'UV_THREADPOOL_SIZE']) if (all[key]) env[key] = all[key]!;
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(stage)?.[1];
  const argv = cmd ? (JSON.parse(cmd) as string[]) : [];
  const nodeArgs = argv[0] === 'node' ? argv.slice(1, -1).filter((a) => a.startsWith('-')) : [];
  return { env, nodeArgs };
}

export const describeRuntime = (r: ImageRuntime) =>
  [
    ...Object.entries(r.env).map(([k, v]) => `${k}="${v}"`),
    ...(r.nodeArgs.length ? [`node ${r.nodeArgs.join(' ')}`] : []),
  ].join(' ') || 'none';

export interface BffProcessOptions {
  env: Record<string, string>;
  /** The runtime profile: extra environment (NODE_OPTIONS, MALLOC_ARENA_MAX, ...) and node flags. */
  runtime?: ImageRuntime;
  /** Start with the GC probe (gc-probe.mjs) so that {@link BffProcess.gcProbe} works. */
  gcProbe?: boolean;
  logFile: string;
}

/** The BFF as production runs it: `node server/dist/main.js`, configured by its environment only. */
export class BffProcess {
  readonly child: ChildProcess;
  readonly origin: string;
  private exited = false;
  private readonly probeFile: string;

  constructor(
    readonly port: number,
    private readonly options: BffProcessOptions,
  ) {
    this.origin = `http://127.0.0.1:${port}`;
    this.probeFile = `${options.logFile}.gc.json`;
    const main = path.join(repoRoot, 'server', 'dist', 'main.js');
    if (!existsSync(main))
      throw new Error('server/dist/main.js is missing: run `pnpm build` first (`pnpm bench` does).');
    const probe = options.gcProbe
      ? ['--expose-gc', '--import', path.join(repoRoot, 'tests', 'bench', 'gc-probe.mjs')]
      : [];
    const args = [...(options.runtime?.nodeArgs ?? []), ...probe, main];
    const fd = openSync(options.logFile, 'a');
    try {
      this.child = spawn(process.execPath, args, {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH ?? '',
          ...options.env,
          ...options.runtime?.env,
          PORT: String(port),
          ...(options.gcProbe ? { BENCH_GC_PROBE_OUT: this.probeFile } : {}),
        },
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.child.once('exit', () => (this.exited = true));
    BffProcess.live.add(this);
  }

  static readonly live = new Set<BffProcess>();

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once `/readyz` says the provider was discovered; rejects if the process exits or it takes over 60 s. */
  async ready(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.exited)
        throw new Error(`the BFF exited at start (code ${this.child.exitCode}); see ${this.options.logFile}`);
      const r = await fetch(`${this.origin}/readyz`)
        .then((x) => x.json() as Promise<{ checks?: { provider?: { ok: boolean } } }>)
        .catch(() => undefined);
      if (r?.checks?.provider?.ok) return;
      await sleep(100);
    }
    throw new Error(`the BFF was not ready after 60 s; see ${this.options.logFile}`);
  }

  memory(): Memory {
    if (this.exited) throw new Error(`the BFF has exited (code ${this.child.exitCode}); see ${this.options.logFile}`);
    return memoryOf(this.pid);
  }

  /** A full GC in the BFF, and its memory before and after (needs `gcProbe`). */
  async gcProbe(): Promise<GcProbe> {
    rmSync(this.probeFile, { force: true });
    this.child.kill('SIGUSR2');
    for (let i = 0; i < 100; i++) {
      await sleep(50);
      if (existsSync(this.probeFile)) {
        try {
          return JSON.parse(readFileSync(this.probeFile, 'utf8')) as GcProbe;
        } catch {
          /* still being written */
        }
      }
    }
    throw new Error('the BFF did not answer the GC probe');
  }

  async stop(): Promise<void> {
    BffProcess.live.delete(this);
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}

process.once('exit', () => {
  for (const bff of BffProcess.live) bff.child.kill('SIGKILL');
});

/**
 * What the idle BFF's memory is made of: fresh processes (with `runtime`) that load cumulatively more
 * of what the BFF loads — the floor (an http server, one fetch, one WebCrypto call), then the packages in
 * the order the BFF needs them, then the BFF's own compiled modules — each measured idle after 1.5 s.
 * The rest, up to the running BFF's idle figure, is what starting it does (building the app, discovery,
 * the MLflow probe, serving the first requests).
 */
export async function idleBreakdown(
  runtime: ImageRuntime = { env: {}, nodeArgs: [] },
): Promise<Array<{ step: string; memory: Memory }>> {
  const floor = `
    const http = await import('node:http');
    const server = await new Promise((r) => { const s = http.createServer((q, res) => res.end('{}')).listen(0, '127.0.0.1', () => r(s)); });
    await (await fetch('http://127.0.0.1:' + server.address().port + '/')).json();
    await crypto.subtle.digest('SHA-256', new Uint8Array(8));`;
  const steps: Array<[string, string[]]> = [
    ['node: http server, one fetch, one WebCrypto digest (floor)', []],
    ['+ zod, dotenv (configuration)', ['zod', 'dotenv']],
    ['+ express, express-session, helmet', ['express', 'express-session', 'helmet']],
    ['+ pino, pino-http', ['pino', 'pino-http']],
    ['+ openid-client', ['openid-client']],
    ['+ lru-cache, jose, csrf-sync', ['lru-cache', 'jose', 'csrf-sync']],
    ['+ pg, connect-pg-simple (PostgreSQL sessions only)', ['pg', 'connect-pg-simple']],
    ["+ the BFF's modules (dist/server.js, not started)", ['./dist/server.js', './dist/config.js']],
  ];
  const out: Array<{ step: string; memory: Memory }> = [];
  const imports: string[] = [];
  for (const [step, modules] of steps) {
    imports.push(...modules);
    const script = `${floor}\n${imports.map((m) => `await import(${JSON.stringify(m)});`).join('\n')}\nsetTimeout(() => process.stdout.write('ready'), 1500); setTimeout(() => process.exit(0), 10000);`;
    const child = spawn(process.execPath, [...runtime.nodeArgs, '--input-type=module', '-e', script], {
      cwd: path.join(repoRoot, 'server'),
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...runtime.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the breakdown step "${step}" exited (${code})`)));
      });
      out.push({ step, memory: memoryOf(child.pid!) });
    } finally {
      child.kill('SIGKILL');
    }
  }
  return out;
}
