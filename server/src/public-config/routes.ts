/**
 * `GET /api/config`: what every page needs before anyone signs in (links, the password rule, whether
 * Vault is used). The one place these are served; `/api/me` carries only what is about the person.
 */
import express, { type Router } from 'express';
import type { Config } from '../config.js';

export function createPublicConfigRouter(config: Config, facts: { vaultEnabled: boolean }): Router {
  const router = express.Router();
  const body = {
    mlflow_url: config.mlflow.publicUrl,
    privacy_policy_url: config.links.privacyPolicyUrl ?? null,
    terms_of_use_url: config.links.termsOfUseUrl ?? null,
    vault_enabled: facts.vaultEnabled,
    support_contact: config.supportContact ?? null,
    password_policy: { min_length: config.password.minLength, max_length: config.password.maxLength },
  };
  router.get('/config', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(body);
  });
  return router;
}
