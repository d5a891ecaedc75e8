/** `/api/me`: who the person is, their MLflow account, and its lifecycle. See docs/api.md. */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import { emailMissing, ineligible } from '../errors.js';
import { identityOf, type Identity } from '../auth/current-user.js';
import { parseBody } from '../validation.js';
import { passwordProblem } from './password-policy.js';
import { presentAccount, presentReauthentication, presentUser, presentVault } from './present.js';
import { requireRecentSignIn } from '../auth/recent-sign-in.js';
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
  if (!e.eligible && (need === 'eligible' || e.code !== 'not_eligible')) throw ineligible(e.code, e.message);
  if (!identity.email) throw emailMissing();
  return { email: identity.email, accessToken: identity.accessToken };
}

export function createAccountRouter(
  config: Config,
  accounts: AccountService,
  csrf: { tokenFor(req: express.Request): string },
): Router {
  const router = express.Router();

  function checkPassword(password: string, email: string) {
    const problem = passwordProblem(password, email, config.password);
    if (problem) throw problem;
  }

  router.get('/', async (req, res) => {
    const identity = identityOf(req);
    const e = identity.eligibility;
    // People who may not have an account here are not looked up in MLflow or Vault at all.
    const lookup =
      identity.email && (e.eligible || e.code === 'not_eligible')
        ? await accounts.status({ email: identity.email, accessToken: identity.accessToken })
        : { account: null, vault: accounts.vaultEnabled ? ('missing' as const) : ('disabled' as const) };
    res.set('Cache-Control', 'no-store').json({
      user: presentUser(identity),
      account: presentAccount(lookup.account),
      vault: presentVault(lookup.vault),
      reauthentication: presentReauthentication(config.reauthMaxAgeSeconds, req.session.user?.authTime),
      csrf_token: csrf.tokenFor(req),
    });
  });

  router.post('/', async (req, res) => {
    const owner = ownerOf(identityOf(req), 'eligible');
    const { password } = parseBody(req, passwordBody);
    checkPassword(password, owner.email);
    const { account, vault } = await accounts.register(owner, password);
    res.status(201).json({ account: presentAccount(account), vault: presentVault(vault) });
  });

  const recentSignIn = requireRecentSignIn(config);

  router.put('/password', recentSignIn, async (req, res) => {
    const owner = ownerOf(identityOf(req), 'eligible');
    const { password } = parseBody(req, passwordBody);
    checkPassword(password, owner.email);
    await accounts.changePassword(owner, password);
    res.status(204).end();
  });

  router.delete('/', recentSignIn, async (req, res) => {
    const owner = ownerOf(identityOf(req), 'identified');
    await accounts.deleteAccount(owner);
    res.status(204).end();
  });

  return router;
}
