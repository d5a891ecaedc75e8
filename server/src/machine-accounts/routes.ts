/** `/api/me/machine-accounts`: the person's machine accounts for pipelines. See docs/api.md. */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import { personOf } from '../account/person.js';
import type { AccountService } from '../account/service.js';
import { requireRecentSignIn } from '../auth/recent-sign-in.js';
import { machineAccountNotFound } from '../errors.js';
import { parseBody } from '../validation.js';
import { labelProblem } from './naming.js';
import { presentMachineAccount, presentMachineVault } from './present.js';
import type { MachineAccountService } from './service.js';

const labelBody = z.object({
  label: z.string({ error: 'A label is required, such as ci-nightly.' }).superRefine((label, ctx) => {
    const problem = labelProblem(label);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
});

export interface MachineAccountRouterDeps {
  machineAccounts: MachineAccountService;
  /** The owner is the account bound to the signed-in identity, and only that one. */
  accounts: Pick<AccountService, 'actingUsername'>;
}

/** A label in the path that no machine account can have names none of the person's. */
function labelOf(req: Request): string {
  const label = String(req.params.label);
  if (labelProblem(label)) throw machineAccountNotFound(label.slice(0, 40));
  return label;
}

export function createMachineAccountRouter(
  config: Pick<Config, 'reauthMaxAgeSeconds'>,
  deps: MachineAccountRouterDeps,
): Router {
  const { machineAccounts, accounts } = deps;
  const router = express.Router();
  const recentSignIn = requireRecentSignIn(config);

  router.get('/', async (req, res) => {
    // Reading needs no eligibility, like the account itself: someone who lost it still sees what they own.
    const owner = await accounts.actingUsername(personOf(req, 'identified'));
    const list = await machineAccounts.list(owner);
    res
      .set('Cache-Control', 'no-store')
      .json({ limit: machineAccounts.limit, machine_accounts: list.map(presentMachineAccount) });
  });

  router.post('/', recentSignIn, async (req, res) => {
    const person = personOf(req, 'eligible');
    const { label } = parseBody(req, labelBody);
    const owner = await accounts.actingUsername(person);
    const { account, password, vault } = await machineAccounts.create(person, owner, label);
    // The password is in this answer only: no cache may keep it.
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ ...presentMachineAccount(account), password, vault: presentMachineVault(vault) });
  });

  router.post('/:label/password', recentSignIn, async (req, res) => {
    const person = personOf(req, 'eligible');
    const label = labelOf(req);
    const owner = await accounts.actingUsername(person);
    const { password, vault } = await machineAccounts.rotate(person, owner, label);
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .json({ password, vault: presentMachineVault(vault) });
  });

  router.delete('/:label', recentSignIn, async (req, res) => {
    const person = personOf(req, 'eligible');
    const label = labelOf(req);
    await machineAccounts.remove(person, await accounts.actingUsername(person), label);
    res.status(204).end();
  });

  return router;
}
