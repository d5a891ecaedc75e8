/**
 * Builds the Express application from a validated config and its collaborators. It never listens and
 * never reads the environment, so tests build it in-process with whatever services they started.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { createAuthRouter, SESSION_COOKIE } from './auth/routes.js';
import { createCurrentUser } from './auth/current-user.js';
import type { Oidc } from './auth/oidc.js';
import { createCsrf } from './security/csrf.js';
import { createAccountRouter } from './account/routes.js';
import { createAccountService } from './account/service.js';
import { createHealthRouter } from './health/routes.js';
import { createSpaRouter } from './spa/static.js';
import { createDirectory } from './sharing/directory.js';
import { lazyPermissionsApi } from './sharing/permissions.js';
import { createSharingService } from './sharing/service.js';
import { createSharingRouter } from './sharing/routes.js';
import type { MlflowClient } from './mlflow/client.js';
import type { PapiClient } from './secrets/papi-client.js';
import './auth/session-data.js';

export interface AppDeps {
  logger: Logger;
  oidc: Oidc;
  mlflow: MlflowClient;
  papi: PapiClient | undefined;
  sessionStore: session.Store;
  /** Extra readiness checks (the session database). */
  readinessChecks?: Record<string, () => Promise<{ ok: boolean; message: string }>>;
}

export const defaultClientDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../client/dist');

export function createApp(config: Config, deps: AppDeps): express.Express {
  const app = express();
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');

  app.use(
    pinoHttp({
      logger: deps.logger,
      redact: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'],
      autoLogging: { ignore: (req) => /\/(healthz|readyz)$/.test(req.url ?? '') },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'"],
          'connect-src': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'base-uri': ["'self'"],
          'object-src': ["'none'"],
          ...(config.session.cookieSecure ? { 'upgrade-insecure-requests': [] } : {}),
        },
      },
      strictTransportSecurity: config.session.cookieSecure ? { maxAge: 31536000 } : false,
      referrerPolicy: { policy: 'same-origin' },
    }),
  );

  const health = createHealthRouter({
    mlflow: deps.mlflow,
    oidc: deps.oidc,
    adminUsername: config.mlflow.adminUsername,
    extraChecks: deps.readinessChecks,
  });
  app.use(health);

  const base = express.Router();
  base.use(health);
  base.use(
    session({
      name: SESSION_COOKIE,
      secret: config.session.secret,
      store: deps.sessionStore,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      unset: 'destroy',
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.session.cookieSecure,
        path: config.basePath || '/',
        maxAge: config.session.maxAgeMs,
      },
    }),
  );

  const csrf = createCsrf(config.allowedOrigins);
  base.use('/auth', createAuthRouter(config, deps.oidc, csrf.protect));

  const api = express.Router();
  api.use(express.json({ limit: '16kb', strict: false }));
  api.use(csrf.protect);
  api.get('/config', (_req, res) => {
    res.json({
      mlflow_url: config.mlflow.publicUrl,
      privacy_policy_url: config.links.privacyPolicyUrl ?? null,
      terms_of_use_url: config.links.termsOfUseUrl ?? null,
      vault_enabled: deps.papi !== undefined,
      password_policy: { min_length: config.password.minLength, max_length: config.password.maxLength },
    });
  });
  const currentUser = createCurrentUser(config, deps.oidc, deps.logger);
  const accounts = createAccountService({ mlflow: deps.mlflow, papi: deps.papi, adminUsername: config.mlflow.adminUsername, logger: deps.logger });
  api.use('/me', currentUser, createAccountRouter(config, accounts, csrf));
  const directory = createDirectory(deps.mlflow);
  const permissions = lazyPermissionsApi(deps.mlflow, config.mlflow.adminUsername, (name) => directory.isPrompt(name));
  // Learn the MLflow generation early; a failure here is retried on first use.
  permissions().catch(() => undefined);
  const sharing = createSharingService({ mlflow: deps.mlflow, directory, permissions });
  api.use(createSharingRouter(sharing, currentUser));
  api.use(notFoundHandler);
  base.use('/api', api);

  const spa = createSpaRouter(config.clientDistDir ?? defaultClientDist, config.basePath);
  if (spa) base.use(spa);
  else deps.logger.warn({ dir: config.clientDistDir ?? defaultClientDist }, 'no built client found: only the API is served');

  app.use(config.basePath || '/', base);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
