/**
 * The operator's command line (`server/src/cli.ts`), run as a process with the deployment's own
 * configuration (the stack's environment) beside a running BFF: `list`, `bind`, `unbind`,
 * `export-activity`, `sweep --dry-run` and `migrate`. What it changes is checked where it matters: through
 * the BFF as the person sees it, in MLflow, and in the registry database. Refusals end with exit code 1 and
 * a plain sentence; a command line it does not understand ends with exit code 2 and the usage.
 */
import { openDatabase, type Database } from '../../server/src/registry/database.js';
import { mlflowAs, signInStatus } from '../support/mlflow-direct.js';
import { runCli } from '../support/operator-cli.js';
import { useStack } from '../support/stack.js';

const DAY = 86_400_000;
const ALICE = 'alice@example.org';
const ALICE_PW = 'alice-registered-password-01';
const IVAN = 'ivan@example.org';
const IVAN_PW = 'ivan-made-by-an-admin-password-02';
const HEIDI = 'heidi@example.org';
const HEIDI_PW = 'heidi-made-by-an-admin-password-03';
/** Every password this file uses, MLflow's and the provider's: none may appear in an export. */
const PASSWORDS = [ALICE_PW, IVAN_PW, HEIDI_PW, 'alice-password-123', 'ivan-password-123', 'heidi-password-123'];

const stack = useStack({ vault: true, env: { DEPROVISION_AFTER_DAYS: '30' } });
let database: Database;

/** `cli <args…>` with the environment the stack's BFF was configured from. */
const cli = (...args: string[]) => runCli(args, stack().env);
const issuer = () => stack().oidc.issuer;

async function createUserDirectly(username: string, password: string) {
  const res = await mlflowAs(
    stack().mlflow,
    stack().mlflow.adminUsername,
    stack().mlflow.adminPassword,
    'POST',
    '/api/2.0/mlflow/users/create',
    { username, password },
  );
  expect(res.status).toBe(200);
}

/** `list` as rows of its tab-separated columns, header first. */
async function listed(): Promise<string[][]> {
  const res = await cli('list');
  expect(res.code).toBe(0);
  return res.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

beforeAll(async () => {
  // The tests make an account stale by hand: no scheduled round of the BFF may act on it meanwhile.
  await stack().bff.maintenance.stop();
  database = openDatabase(stack().config.database);
});

afterAll(async () => {
  await database?.close();
});

describe('when people registered', () => {
  it('then `list` shows each binding with its issuer, subject and how it was made', async () => {
    const alice = await stack().signIn('alice');
    expect((await alice.register(ALICE_PW)).status).toBe(201);

    const [header, ...rows] = await listed();
    expect(header).toEqual(['username', 'issuer', 'subject', 'bound_at', 'bound_by', 'last_eligible_at', 'disabled']);
    expect(rows).toEqual([[ALICE, issuer(), 'alice-sub', expect.any(String), 'registration', expect.any(String), '']]);
    expect(Date.parse(rows[0]![3]!)).not.toBeNaN();
  });
});

describe('when an operator binds an MLflow user nobody owns', () => {
  it('then the identity owns it: /api/me of that person shows it owned, and `list` says an operator bound it', async () => {
    await createUserDirectly(IVAN, IVAN_PW);
    const before = await stack().signIn('ivan');
    expect((await before.me()).body.ownership).toMatchObject({ status: 'claimable', username: IVAN });

    const res = await cli('bind', IVAN, issuer(), 'ivan-sub');
    expect(res).toMatchObject({ code: 0, stdout: `${IVAN} now belongs to ivan-sub at ${issuer()}.\n` });

    const me = await (await stack().signIn('ivan')).me();
    expect(me.body.ownership).toMatchObject({ status: 'owned', username: IVAN });
    expect(me.body.account).toMatchObject({ username: IVAN, disabled: null });
    expect((await listed()).find((row) => row[0] === IVAN)).toEqual([
      IVAN,
      issuer(),
      'ivan-sub',
      expect.any(String),
      'operator',
      expect.any(String),
      '',
    ]);
  });

  it('then binding a username bound already is refused with exit code 1 and a plain message, changing nothing', async () => {
    const res = await cli('bind', ALICE, issuer(), 'heidi-sub');
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`${ALICE} is bound already (to alice-sub at ${issuer()}): unbind it first.\n`);
    expect((await listed()).find((row) => row[0] === ALICE)?.[2]).toBe('alice-sub');
  });

  it('then binding to an identity that owns another account is refused with exit code 1: one account per identity', async () => {
    await createUserDirectly(HEIDI, HEIDI_PW);
    const res = await cli('bind', HEIDI, issuer(), 'ivan-sub');
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`That identity owns ${IVAN} already: one account per identity. Unbind that first.\n`);
    expect((await listed()).map((row) => row[0])).not.toContain(HEIDI);
  });

  it('then binding a user MLflow does not have is refused with exit code 1', async () => {
    const res = await cli('bind', 'nobody@example.org', issuer(), 'nobody-sub');
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('MLflow has no user nobody@example.org: nothing to bind.\n');
  });
});

describe('when an operator unbinds an account', () => {
  it('then it is claimable again by the person with its email, and unbinding it again is refused', async () => {
    const res = await cli('unbind', IVAN);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^${IVAN} no longer belongs to anyone`));

    const me = await (await stack().signIn('ivan')).me();
    expect(me.body.ownership).toMatchObject({ status: 'claimable', username: IVAN });
    expect(me.body.account).toBeNull();
    expect(await signInStatus(stack().mlflow, IVAN, IVAN_PW)).toBe(200);

    const again = await cli('unbind', IVAN);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`${IVAN} is not bound to anyone.\n`);
  });
});

describe('when the operator exports the activity log', () => {
  it('then `export-activity` prints one JSON object per line, oldest first, with the operator’s changes done by the service and no password', async () => {
    const res = await cli('export-activity');
    expect(res.code).toBe(0);
    const records = res.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((r) => `${r.action} ${r.target.id}`)).toEqual([
      `register ${ALICE}`,
      `bind ${IVAN}`,
      `unbind ${IVAN}`,
    ]);
    expect(records[0]).toMatchObject({
      actor: { issuer: issuer(), subject: 'alice-sub', email: ALICE },
      target: { type: 'account', id: ALICE },
      outcome: 'ok',
    });
    expect(records[1]).toMatchObject({
      actor: { issuer: null, subject: null, email: null },
      detail: `${issuer()} ivan-sub`,
    });
    for (const password of PASSWORDS) expect(res.stdout).not.toContain(password);
  });

  it('then `--since` keeps the records from that day on', async () => {
    const all = (await cli('export-activity')).stdout;
    expect((await cli('export-activity', '--since', '2000-01-01')).stdout).toBe(all);
    const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    expect(await cli('export-activity', '--since', tomorrow)).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('when an account has not been seen eligible for longer than DEPROVISION_AFTER_DAYS', () => {
  it('then `sweep --dry-run` prints what it would do and changes nothing', async () => {
    await database.db
      .updateTable('accounts')
      .set({ last_eligible_at: Date.now() - 40 * DAY })
      .where('username', '=', ALICE)
      .execute();

    const res = await cli('sweep', '--dry-run');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`would disable ${ALICE}\nWould delete 0 activity record(s) older than 365 days.\n`);

    expect(await signInStatus(stack().mlflow, ALICE, ALICE_PW)).toBe(200);
    const alice = await database.db
      .selectFrom('accounts')
      .selectAll()
      .where('username', '=', ALICE)
      .executeTakeFirstOrThrow();
    expect(alice).toMatchObject({ disabled_at: null, disabled_reason: null });
    expect(await database.db.selectFrom('activity').selectAll().where('action', '=', 'deprovision').execute()).toEqual(
      [],
    );
  });
});

describe('when the schema is up to date', () => {
  it('then `migrate` applies nothing and names the version', async () => {
    expect(await cli('migrate')).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^The schema is at \S+\.\n$/),
    });
  });
});

describe('when the command line is not understood', () => {
  it('then an unknown command ends with exit code 2 and the usage', async () => {
    const res = await cli('frobnicate');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^Unknown command "frobnicate"\.\n\nUsage: cli <command>\n/);
    expect(res.stderr).toContain('export-activity [--since D]');
  });

  it('then a `--since` that is not a date ends with exit code 2 and says what is expected', async () => {
    const res = await cli('export-activity', '--since', 'last-tuesday');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^--since must be a date such as 2026-01-01, not "last-tuesday"\.\n\nUsage: cli/);
    expect(res.stdout).toBe('');
  });
});
