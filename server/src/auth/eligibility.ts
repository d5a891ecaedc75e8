/**
 * Who may register: the operator's rule applied to the person's merged ID-token and userinfo claims.
 * Rules exactly as in docs/reference/identity-claims.md: entitlements match whole strings (sub-groups
 * produce longer values, so a prefix match would let the wrong people in), realm roles must all be present.
 */
import type { EligibilityRule } from '../config.js';

export type Claims = Record<string, unknown>;

type Ineligibility = { code: 'not_eligible' | 'email_missing' | 'email_not_verified'; message: string };

export type Eligibility =
  { eligible: true; email: string } | ({ eligible: false; email: string | undefined } & Ineligibility);

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** Entitlements arrive as `eduperson_entitlement` (EGI Check-in) or `entitlements` (some Keycloak setups). */
export function entitlementsOf(claims: Claims): string[] {
  return [...new Set([...stringList(claims.eduperson_entitlement), ...stringList(claims.entitlements)])];
}

export function realmRolesOf(claims: Claims): string[] {
  const realmAccess = claims.realm_access;
  if (realmAccess && typeof realmAccess === 'object') return stringList((realmAccess as { roles?: unknown }).roles);
  return [];
}

/** The email that becomes the MLflow username, when the provider sent a non-empty one. */
function emailOf(claims: Claims): string | undefined {
  return typeof claims.email === 'string' && claims.email.trim() !== '' ? claims.email.trim() : undefined;
}

/** `email_verified` must be the boolean `true` (some providers send the string "true": accept that too). */
export function isEmailVerified(claims: Claims): boolean {
  return claims.email_verified === true || claims.email_verified === 'true';
}

function checkRule(rule: EligibilityRule, claims: Claims): Ineligibility | undefined {
  switch (rule.kind) {
    case 'any_authenticated_user':
      return undefined;
    case 'entitlement': {
      const held = new Set(entitlementsOf(claims));
      if (rule.anyOf.some((e) => held.has(e))) return undefined;
      return {
        code: 'not_eligible',
        message:
          rule.anyOf.length === 1
            ? `Registration needs the entitlement ${rule.anyOf[0]}, which your account does not have. Ask to join that group, then sign in again.`
            : `Registration needs one of these entitlements, and your account has none of them: ${rule.anyOf.join(', ')}. Ask to join one of those groups, then sign in again.`,
      };
    }
    case 'realm_roles': {
      const held = new Set(realmRolesOf(claims));
      const missing = rule.allOf.filter((r) => !held.has(r));
      if (missing.length === 0) return undefined;
      return {
        code: 'not_eligible',
        message: `Registration needs the role${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which your account does not have. Ask your organisation for access, then sign in again.`,
      };
    }
  }
}

export function evaluateEligibility(claims: Claims, rule: EligibilityRule, requireVerifiedEmail: boolean): Eligibility {
  const email = emailOf(claims);
  const ruleProblem = checkRule(rule, claims);
  if (ruleProblem) return { eligible: false, email, ...ruleProblem };
  if (!email) {
    return {
      eligible: false,
      email,
      code: 'email_missing',
      message:
        'Your sign-in provider did not share an email address, and your MLflow username is your email. Allow sharing your email (or add one to your account), then sign in again.',
    };
  }
  if (requireVerifiedEmail && !isEmailVerified(claims)) {
    return {
      eligible: false,
      email,
      code: 'email_not_verified',
      message: `Your email address ${email} is not verified at your sign-in provider. Verify it there, then sign in again.`,
    };
  }
  return { eligible: true, email };
}
