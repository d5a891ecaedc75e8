/** `/api/me`: who the person is, their MLflow account, and its lifecycle. See docs/api.md. */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { identityOf, type Identity } from '../auth/current-user.js';
import { parseBody } from '../validation.js';
import { passwordProblem } from './password-policy.js';
import type { AccountOwner, AccountService } from './service.js';

const passwordBody = z.object({
  password: z.string({ error: 'A password is required.' }),
});

/**
 * The person as an account owner. Registering and changing the password need full eligibility; deleting
 * only needs the verified email, so someone who lost eligibility can still remove their account.
 */
function ownerOf(identity: Identity, need: 'eligible' | 'identified'): AccountOwner {
  const e = identity.eligibility;
  if (!e.eligible && (need === 'eligible' || e.code !== 'not_eligible')) {
    throw new AppError(403, e.code, e.message);
  }
  if (!identity.email) throw new AppError(403, 'email_missing', 'Your sign-in provider did not share an email address.');
  return { email: identity.email, accessToken: identity.accessToken };
}

export function createAccountRouter(
  config: Config,
  accounts: AccountService,
  csrf: { tokenFor(req: express.Request): string },
): Router {
  const router = express.Router();
  const policy = config.password;

  function checkPassword(password: string, email: string) {
    const problem = passwordProblem(password, email, policy);
    if (problem) throw new AppError(422, 'weak_password', problem, [{ field: 'password', message: problem }]);
  }

  router.get('/', async (req, res) => {
    const identity = identityOf(req);
    const e = identity.eligibility;
    // People who may not have an account here are not looked up in MLflow or Vault at all.
    const lookup = identity.email && (e.eligible || e.code === 'not_eligible')
      ? await accounts.status({ email: identity.email, accessToken: identity.accessToken })
      : { account: null, vault: accounts.vaultEnabled ? ('missing' as const) : ('disabled' as const) };
    res.set('Cache-Control', 'no-store').json({
      user: {
        email: identity.email ?? null,
        name: identity.name ?? null,
        eligible: e.eligible,
        ineligible: e.eligible ? null : { code: e.code, message: e.message },
      },
      account: lookup.account ? { id: lookup.account.id, username: lookup.account.username, is_admin: lookup.account.is_admin } : null,
      vault: { status: lookup.vault },
      password_policy: { min_length: policy.minLength, max_length: policy.maxLength },
      links: { mlflow: config.mlflow.publicUrl, privacy_policy: config.links.privacyPolicyUrl ?? null, terms_of_use: config.links.termsOfUseUrl ?? null },
      csrf_token: csrf.tokenFor(req),
    });
  });

  router.post('/', async (req, res) => {
    const owner = ownerOf(identityOf(req), 'eligible');
    const { password } = parseBody(req, passwordBody);
    checkPassword(password, owner.email);
    const { account, vault } = await accounts.register(owner, password);
    res.status(201).json({ account: { id: account.id, username: account.username, is_admin: account.is_admin }, vault: { status: vault } });
  });

  router.put('/password', async (req, res) => {
    const owner = ownerOf(identityOf(req), 'eligible');
    const { password } = parseBody(req, passwordBody);
    checkPassword(password, owner.email);
    await accounts.changePassword(owner, password);
    res.status(204).end();
  });

  router.delete('/', async (req, res) => {
    const owner = ownerOf(identityOf(req), 'identified');
    await accounts.deleteAccount(owner);
    res.status(204).end();
  });

  return router;
}
