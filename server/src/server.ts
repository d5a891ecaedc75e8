/**
 * Wires a validated config to real collaborators, starts what talks to the network (OpenID discovery,
 * the MLflow permission-API probe) and listens. Used by `main.ts`, by the demo and by the integration
 * tests (which start the real server in-process on port 0).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { createApp } from './app.js';
import { createOidc } from './auth/oidc.js';
import { createSessionStore } from './auth/session-store.js';
import { describeForLog } from './http.js';
import { createResourceLock } from './sharing/resource-lock.js';
import { openRegistry } from './registry/index.js';
import { wireServices } from './services.js';
import type { Maintenance } from './maintenance/job.js';

export interface RunningServer {
  url: string;
  server: Server;
  /** The maintenance job (deprovisioning sweep, activity pruning), for tests to run a round at will. */
  maintenance: Maintenance;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  host?: string;
  port?: number;
  /** The clock of the registry and the maintenance job (tests age accounts with it). */
  now?: () => number;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  // First: a database that cannot be opened or migrated stops the start with a message that says so.
  const registry = await openRegistry(config.database, options.now);
  const oidc = createOidc(config, logger);
  const sessions = createSessionStore({
    databaseUrl: config.session.databaseUrl,
    pruneIntervalSeconds: config.session.pruneIntervalSeconds,
    onError: (err) => logger.error({ err: describeForLog(err) }, 'session store error'),
  });
  const resourceLock = createResourceLock({ databaseUrl: config.session.databaseUrl });
  const { mlflow, papi, permissions, services, maintenance } = wireServices(config, { logger, registry, resourceLock });
  const readinessChecks: Record<string, () => ReturnType<typeof sessions.check>> = {
    registry: () => registry.database.check(),
  };
  if (sessions.kind === 'postgres') readinessChecks.sessions = () => sessions.check();
  const app = createApp(config, {
    logger,
    oidc,
    mlflow,
    papi,
    sessionStore: sessions.store,
    sessionDirectory: sessions.directory,
    registry,
    services,
    readinessChecks,
  });
  // Discovery runs in the background and retries: a provider that is down must not stop the start.
  void oidc.discover();
  // Learn the MLflow permission API early; a failure here is retried on first use.
  permissions().catch(() => undefined);
  maintenance.start();

  const server = app.listen(options.port ?? config.port, options.host ?? '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  logger.info(
    { url: `${url}${config.basePath}/`, sessions: sessions.kind, registry: registry.database.kind },
    'MLflow sign-up service listening',
  );

  return {
    url,
    server,
    maintenance,
    async close() {
      oidc.stop();
      await maintenance.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([sessions.close(), resourceLock.close()]);
      await registry.close();
    },
  };
}
