/**
 * Liveness and readiness. Readiness checks MLflow *with the admin credentials* (a wrong MLFLOW_PASSWORD is
 * the most common operator mistake, and `/health` alone would not reveal it) and the OpenID discovery.
 *
 * `/readyz` is public and polled often: the MLflow check is remembered for a few seconds (each check costs
 * MLflow a password hash) and concurrent probes share one, and its messages name the variable to fix,
 * never an internal error text. Details go to the log.
 */
import express, { type Router } from 'express';
import type { MlflowClient } from '../mlflow/client.js';
import type { Oidc } from '../auth/oidc.js';
import { describeForLog } from '../http.js';

export interface Check {
  ok: boolean;
  message: string;
}

interface Logger {
  warn(obj: object, msg?: string): void;
}

const MLFLOW_CHECK_TTL_MS = 5_000;

async function checkMlflow(
  mlflow: Pick<MlflowClient, 'checkAdmin'>,
  adminUsername: string,
  logger: Logger,
): Promise<Check> {
  try {
    const result = await mlflow.checkAdmin();
    if (!result.ok) {
      return {
        ok: false,
        message: `MLflow refused the admin credentials (HTTP ${result.status}): check MLFLOW_USERNAME and MLFLOW_PASSWORD.`,
      };
    }
    if (!result.user.is_admin) {
      return {
        ok: false,
        message: `MLflow user ${adminUsername} is not an admin: MLFLOW_USERNAME must name an MLflow admin.`,
      };
    }
    return { ok: true, message: 'MLflow answers and accepts the admin credentials.' };
  } catch (err) {
    logger.warn({ err: describeForLog(err) }, 'readiness: MLflow check failed');
    const code = (err as { code?: unknown }).code;
    if (code === 'mlflow_failed') {
      return {
        ok: false,
        message: 'MLflow answers but not as expected: start it with --app-name basic-auth, and check MLFLOW_HOSTNAME.',
      };
    }
    return { ok: false, message: 'MLflow cannot be reached at MLFLOW_HOSTNAME.' };
  }
}

export function createHealthRouter(deps: {
  mlflow: Pick<MlflowClient, 'checkAdmin'>;
  oidc: Pick<Oidc, 'ready' | 'problem'>;
  adminUsername: string;
  logger: Logger;
  extraChecks?: Record<string, () => Promise<Check>>;
}): Router {
  const router = express.Router();
  let mlflowCheck: { at: number; result: Promise<Check> } | undefined;

  function mlflowReadiness(): Promise<Check> {
    if (!mlflowCheck || Date.now() - mlflowCheck.at > MLFLOW_CHECK_TTL_MS) {
      mlflowCheck = { at: Date.now(), result: checkMlflow(deps.mlflow, deps.adminUsername, deps.logger) };
    }
    return mlflowCheck.result;
  }

  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, Check> = {
      mlflow: await mlflowReadiness(),
      provider: deps.oidc.ready
        ? { ok: true, message: 'The OpenID provider was discovered.' }
        : {
            ok: false,
            message: `The OpenID provider is not available yet: ${deps.oidc.problem ?? 'unknown'}. Check OIDC_AUTHORITY.`,
          },
    };
    for (const [name, check] of Object.entries(deps.extraChecks ?? {})) {
      checks[name] = await check().catch((err: unknown) => {
        deps.logger.warn({ err: describeForLog(err), check: name }, 'readiness check failed');
        return { ok: false, message: `The ${name} check failed.` };
      });
    }
    const ready = Object.values(checks).every((c) => c.ok);
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  return router;
}
