/** `/api/me`: who the person is, which MLflow account is theirs, and its lifecycle. See docs/api.md. */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import { identityOf } from '../auth/current-user.js';
import { parseBody } from '../validation.js';
import { passwordProblem } from './password-policy.js';
import { personOf } from './person.js';
import { presentAccount, presentOwnership, presentReauthentication, presentUser, presentVault } from './present.js';
import { requireRecentSignIn } from '../auth/recent-sign-in.js';
import type { AccountService, AccountStatus } from './service.js';
import { presentSharedWithYou } from '../sharing/present.js';
import { requestIdOf, sessionHolderOf } from '../sessions/routes.js';
import type { SessionService } from '../sessions/service.js';

const passwordBody = z.object({
  password: z.string({ error: 'A password is required.' }),
});

/** Changing the password may also sign the person out everywhere else. */
const changePasswordBody = passwordBody.extend({
  end_other_sessions: z.boolean({ error: 'end_other_sessions must be true or false.' }).optional(),
});

/** A claim proves an existing password: the policy for new passwords does not apply, only a sane length. */
const claimBody = z.object({
  password: z
    .string({ error: 'The account’s current MLflow password is required.' })
    .min(1, 'The account’s current MLflow password is required.')
    .max(1024, 'That is longer than any MLflow password.'),
});

export function createAccountRouter(
  config: Config,
  accounts: AccountService,
  csrf: { tokenFor(req: express.Request): string },
  signInSessions?: Pick<SessionService, 'endOthers'>,
): Router {
  const router = express.Router();

  function checkPassword(password: string, username: string) {
    const problem = passwordProblem(password, username, config.password);
    if (problem) throw problem;
  }

  router.get('/', async (req, res) => {
    const identity = identityOf(req);
    const e = identity.eligibility;
    // People who may not have an account here are not looked up in the registry, MLflow or Vault at all.
    const lookup: AccountStatus | null =
      identity.email && (e.eligible || e.code === 'not_eligible')
        ? await accounts.status(personOf(req, 'identified'))
        : null;
    res.set('Cache-Control', 'no-store').json({
      user: presentUser(identity),
      ownership: presentOwnership(lookup?.ownership ?? null, identity.email, config.supportContact),
      account: presentAccount(lookup?.account ?? null, lookup?.ownership),
      vault: presentVault(lookup ? lookup.vault : accounts.vaultEnabled ? 'missing' : 'disabled'),
      reauthentication: presentReauthentication(config.reauthMaxAgeSeconds, req.session.user?.authTime),
      csrf_token: csrf.tokenFor(req),
      shared_with_you: presentSharedWithYou(lookup?.sharedWithYou),
    });
  });

  router.post('/', async (req, res) => {
    const person = personOf(req, 'eligible');
    const { password } = parseBody(req, passwordBody);
    checkPassword(password, person.email);
    const { account, vault, sharedWithYou } = await accounts.register(person, password);
    res.status(201).json({
      account: presentAccount(account),
      vault: presentVault(vault),
      shared_with_you: presentSharedWithYou(sharedWithYou),
    });
  });

  router.post('/claim', async (req, res) => {
    const person = personOf(req, 'eligible');
    const { password } = parseBody(req, claimBody);
    const { account, vault, sharedWithYou } = await accounts.claim(person, password);
    res.status(200).json({
      account: presentAccount(account),
      vault: presentVault(vault),
      shared_with_you: presentSharedWithYou(sharedWithYou),
    });
  });

  const recentSignIn = requireRecentSignIn(config);

  router.put('/password', recentSignIn, async (req, res) => {
    const person = personOf(req, 'eligible');
    const { password, end_other_sessions } = parseBody(req, changePasswordBody);
    checkPassword(password, person.email);
    await accounts.changePassword(person, password);
    if (end_other_sessions && signInSessions) {
      await signInSessions.endOthers(sessionHolderOf(req), req.sessionID, 'password_change', requestIdOf(req));
    }
    res.status(204).end();
  });

  router.delete('/', recentSignIn, async (req, res) => {
    await accounts.deleteAccount(personOf(req, 'identified'));
    res.status(204).end();
  });

  return router;
}
