/**
 * Liveness and readiness. Readiness checks MLflow *with the admin credentials* (a wrong MLFLOW_PASSWORD is
 * the most common operator mistake, and `/health` alone would not reveal it) and the OpenID discovery.
 */
import express, { type Router } from 'express';
import type { MlflowClient } from '../mlflow/client.js';
import type { Oidc } from '../auth/oidc.js';
import { UpstreamError } from '../http.js';

interface Check {
  ok: boolean;
  message: string;
}

async function checkMlflow(mlflow: MlflowClient, adminUsername: string): Promise<Check> {
  try {
    const result = await mlflow.checkAdmin();
    if (!result.ok) {
      return { ok: false, message: `MLflow refused the admin credentials (HTTP ${result.status}): check MLFLOW_USERNAME and MLFLOW_PASSWORD.` };
    }
    if (!result.user.is_admin) {
      return { ok: false, message: `MLflow user ${adminUsername} is not an admin: MLFLOW_USERNAME must name an MLflow admin.` };
    }
    return { ok: true, message: 'MLflow answers and accepts the admin credentials.' };
  } catch (err) {
    if (err instanceof UpstreamError && err.status === 404) {
      return { ok: false, message: 'MLflow answers but has no auth API: start it with --app-name basic-auth.' };
    }
    return { ok: false, message: `MLflow cannot be reached at MLFLOW_HOSTNAME (${(err as Error).message}).` };
  }
}

export function createHealthRouter(deps: { mlflow: MlflowClient; oidc: Oidc; adminUsername: string; extraChecks?: Record<string, () => Promise<Check>> }): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, Check> = {
      mlflow: await checkMlflow(deps.mlflow, deps.adminUsername),
      provider: deps.oidc.ready
        ? { ok: true, message: 'The OpenID provider was discovered.' }
        : { ok: false, message: `The OpenID provider is not available yet: ${deps.oidc.problem ?? 'unknown'}. Check OIDC_AUTHORITY.` },
    };
    for (const [name, check] of Object.entries(deps.extraChecks ?? {})) {
      checks[name] = await check().catch((err: Error) => ({ ok: false, message: err.message }));
    }
    const ready = Object.values(checks).every((c) => c.ok);
    res.status(ready ? 200 : 503).set('Cache-Control', 'no-store').json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  return router;
}
