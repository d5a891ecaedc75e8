/**
 * Assembles the Express application from a validated config and its collaborators. It never listens,
 * never reads the environment and starts no network traffic: `server.ts` does those, and tests build the
 * app in-process with whatever services they started.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type session from 'express-session';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { requestLogger } from './request-log.js';
import { securityHeaders } from './security/headers.js';
import { sessionMiddleware } from './security/session.js';
import { rejectMalformedUrls } from './security/malformed-url.js';
import { createCsrf } from './security/csrf.js';
import { createAuthRouter } from './auth/routes.js';
import { createCurrentUser } from './auth/current-user.js';
import type { Oidc } from './auth/oidc.js';
import { createAccountRouter } from './account/routes.js';
import { createHealthRouter, type Check } from './health/routes.js';
import { createSpaRouter } from './spa/static.js';
import { createPublicConfigRouter } from './public-config/routes.js';
import { createSharingRouter } from './sharing/routes.js';
import { createGroupSharingRouter, createMyGroupsRouter } from './groups/routes.js';
import type { MlflowClient } from './mlflow/client.js';
import type { PapiClient } from './secrets/papi-client.js';
import type { Registry } from './registry/index.js';
import { createActivityRouter } from './activity/routes.js';
import { databaseFailures } from './registry/errors.js';
import { createMachineAccountRouter } from './machine-accounts/routes.js';
import type { SessionDirectory } from './auth/session-store.js';
import { createAudit } from './registry/audit.js';
import { createSessionService } from './sessions/service.js';
import { createSessionsRouter } from './sessions/routes.js';
import type { Services } from './services.js';
import './auth/session-data.js';

export interface AppDeps {
  logger: Logger;
  oidc: Oidc;
  mlflow: MlflowClient;
  papi: PapiClient | undefined;
  sessionStore: session.Store;
  /** The same sessions found by whose they are: "Your sign-in sessions" lists and ends them. */
  sessionDirectory: SessionDirectory;
  /** The account registry and activity log. */
  registry: Registry;
  /** The account and sharing services (`services.ts`). */
  services: Services;
  /** Extra readiness checks (the session database). */
  readinessChecks?: Record<string, () => Promise<Check>>;
}

export const defaultClientDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../client/dist');

export function createApp(config: Config, deps: AppDeps): express.Express {
  const app = express();
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');

  app.use(requestLogger(deps.logger));
  app.use(securityHeaders({ https: config.session.cookieSecure }));
  app.use(rejectMalformedUrls);

  const health = createHealthRouter({
    mlflow: deps.mlflow,
    oidc: deps.oidc,
    adminUsername: config.mlflow.adminUsername,
    logger: deps.logger,
    extraChecks: deps.readinessChecks,
  });
  app.use(health);

  const base = express.Router();
  base.use(health);
  base.use(sessionMiddleware(config, deps.sessionStore));

  const csrf = createCsrf(config.allowedOrigins);
  const { groups } = deps.services;
  base.use(
    '/auth',
    createAuthRouter(config, deps.oidc, csrf.protect, {
      afterSignIn: (user, requestId) =>
        groups.syncAtSignIn({ issuer: user.issuer, subject: user.sub, claims: user.claims, requestId }),
      logger: deps.logger,
    }),
  );

  const api = express.Router();
  api.use(express.json({ limit: '16kb', strict: false }));
  api.use(csrf.protect);
  api.use(createPublicConfigRouter(config, { vaultEnabled: deps.papi !== undefined }));
  const currentUser = createCurrentUser(config, deps.oidc);
  const { accounts, sharing } = deps.services;
  api.use('/me/activity', currentUser, createActivityRouter({ activity: deps.registry.activity, accounts, sharing }));
  const signInSessions = createSessionService({
    directory: deps.sessionDirectory,
    secret: config.session.secret,
    accounts: deps.registry.accounts,
    audit: createAudit(deps.registry.activity, deps.logger),
  });
  api.use('/me/sessions', currentUser, createSessionsRouter(config, signInSessions));
  api.use(
    '/me/machine-accounts',
    currentUser,
    createMachineAccountRouter(config, { machineAccounts: deps.services.machineAccounts, accounts }),
  );
  api.use('/me/groups', currentUser, createMyGroupsRouter({ groups }));
  api.use('/me', currentUser, createAccountRouter(config, accounts, csrf, signInSessions));
  api.use(
    createSharingRouter({
      sharing,
      accounts,
      currentUser,
      canonicalUsername: async (typed) => (await deps.registry.accounts.byUsername(typed))?.username ?? typed.trim(),
    }),
  );
  api.use(createGroupSharingRouter({ groups, accounts, currentUser }));
  api.use(notFoundHandler);
  base.use('/api', api);

  const spa = createSpaRouter(config.clientDistDir ?? defaultClientDist, config.basePath);
  if (spa) base.use(spa);
  else
    deps.logger.warn(
      { dir: config.clientDistDir ?? defaultClientDist },
      'no built client found: only the API is served',
    );

  app.use(config.basePath || '/', base);
  app.use(notFoundHandler);
  app.use(databaseFailures);
  app.use(errorHandler(deps.logger));
  return app;
}
