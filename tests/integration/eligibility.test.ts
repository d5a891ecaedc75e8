/**
 * Who may register, with the provider's real claims: realm roles (all required), entitlements (any,
 * whole strings), verified email. Nobody ineligible gets an MLflow user.
 */
import { useStack } from '../support/stack.js';
import { mlflowUser } from '../support/mlflow-direct.js';

const PASSWORD = 'a-good-password-1234';

const stack = useStack({ rule: 'realm_roles', vault: false });

describe('with REQUIRED_REALM_ROLES', () => {
  it('when the person lacks the role, then /api/me explains and registering answers 403 not_eligible', async () => {
    const carol = await stack().signIn('carol');
    const me = await carol.me();
    expect(me.body.user).toMatchObject({
      email: 'carol@example.org',
      eligible: false,
      ineligible: { code: 'not_eligible' },
    });
    expect(me.body.user.ineligible.message).toContain('access:vo.ai4eosc.eu:ap-u');
    const res = await carol.register(PASSWORD);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('not_eligible');
    expect(await mlflowUser(stack().mlflow, 'carol@example.org')).toBeNull();
  });

  it('when the email is not verified, then registering answers 403 email_not_verified', async () => {
    const dave = await stack().signIn('dave');
    expect((await dave.me()).body.user.ineligible.code).toBe('email_not_verified');
    const res = await dave.register(PASSWORD);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('email_not_verified');
    expect(await mlflowUser(stack().mlflow, 'dave@example.org')).toBeNull();
  });

  it('when the provider sends no email, then registering answers 403 email_missing', async () => {
    const erin = await stack().signIn('erin');
    const me = await erin.me();
    expect(me.body.user).toMatchObject({ email: null, eligible: false, ineligible: { code: 'email_missing' } });
    expect((await erin.register(PASSWORD)).body.error.code).toBe('email_missing');
  });

  it('when the person is eligible by entitlement only, then realm roles still decide: not eligible', async () => {
    const bob = await stack().signIn('bob');
    expect((await bob.register(PASSWORD)).status).toBe(403);
    expect(await mlflowUser(stack().mlflow, 'bob@example.org')).toBeNull();
  });
});

describe('with REQUIRED_ENTITLEMENT', () => {
  beforeAll(async () => {
    await stack().restartBff({
      REQUIRED_REALM_ROLES: undefined,
      REQUIRED_ENTITLEMENT: 'urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu',
    });
  });

  it('when the person holds the entitlement, then they register', async () => {
    const bob = await stack().signIn('bob');
    expect((await bob.me()).body.user.eligible).toBe(true);
    expect((await bob.register(PASSWORD)).status).toBe(201);
    expect(await mlflowUser(stack().mlflow, 'bob@example.org')).toMatchObject({ username: 'bob@example.org' });
  });

  it('when the person holds only a sub-group entitlement, then they are not eligible', async () => {
    const carol = await stack().signIn('carol');
    expect((await carol.register(PASSWORD)).body.error.code).toBe('not_eligible');
  });

  it('when the person has realm roles but no entitlement, then they are not eligible', async () => {
    const alice = await stack().signIn('alice');
    expect((await alice.register(PASSWORD)).status).toBe(403);
  });
});

describe('with REQUIRE_VERIFIED_EMAIL=false', () => {
  beforeAll(async () => {
    await stack().restartBff({
      REQUIRED_REALM_ROLES: undefined,
      ALLOW_ANY_AUTHENTICATED_USER: 'true',
      REQUIRE_VERIFIED_EMAIL: 'false',
    });
  });

  it('when the email is unverified, then the person may register', async () => {
    const dave = await stack().signIn('dave');
    expect((await dave.register(PASSWORD)).status).toBe(201);
  });

  it('when there is no email at all, then registration is still refused', async () => {
    const erin = await stack().signIn('erin');
    expect((await erin.register(PASSWORD)).body.error.code).toBe('email_missing');
  });
});
