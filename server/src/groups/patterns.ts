/**
 * Shareable groups: which of a person's claims the operator lets them share with, and the MLflow role each
 * one becomes. Pure functions, so the matching and the naming have unit tests.
 *
 * A group is named by its kind and its value, `<kind>:<value>`:
 * - `entitlement:<value>`: an entitlement (`eduperson_entitlement` or `entitlements`, see
 *   docs/reference/identity-claims.md), e.g. `entitlement:urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu`;
 * - `realm_role:<value>`: a Keycloak realm role (`realm_access.roles`), e.g. `realm_role:team-vision`;
 * - `group:<value>`: an entry of a `groups` claim (Keycloak's group mapper), e.g. `group:/projects/vision`.
 *
 * `SHAREABLE_GROUPS` is a comma-separated list of patterns in the same form, where `*` in the value stands
 * for any run of characters (`/` and `:` included) and everything else matches itself, whole and
 * case-sensitively: `entitlement:urn:mace:egi.eu:group:vo.ai4eosc.eu:*`, `realm_role:team-*`, `group:/projects/*`.
 */
import { createHash } from 'node:crypto';
import { entitlementsOf, realmRolesOf, type Claims } from '../auth/eligibility.js';

const GROUP_KINDS = ['entitlement', 'realm_role', 'group'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

export interface GroupPattern {
  kind: GroupKind;
  /** The value's glob, as written. */
  glob: string;
  regex: RegExp;
}

/** The longest group id accepted in a path (entitlement URNs are long, but not this long). */
export const MAX_GROUP_ID_LENGTH = 512;

const globRegex = (glob: string) =>
  new RegExp(
    '^' +
      glob
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
    's',
  );

/** Splits `<kind>:<value>`; `undefined` when the kind is unknown or the value empty. */
export function parseGroupId(id: string): { kind: GroupKind; value: string } | undefined {
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const kind = GROUP_KINDS.find((k) => k === id.slice(0, colon));
  const value = id.slice(colon + 1);
  if (!kind || value === '' || value.trim() !== value || id.length > MAX_GROUP_ID_LENGTH) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  return { kind, value };
}

/** Parses `SHAREABLE_GROUPS`; every problem is reported, in words an operator can act on. */
export function parseGroupPatterns(value: string | undefined): { patterns: GroupPattern[]; errors: string[] } {
  const patterns: GroupPattern[] = [];
  const errors: string[] = [];
  for (const item of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const parsed = parseGroupId(item);
    if (!parsed) {
      errors.push(
        `SHAREABLE_GROUPS holds "${item}", which is not a pattern: write <kind>:<value>, where <kind> is ${GROUP_KINDS.join(', ')} and * in the value matches anything, e.g. realm_role:team-*.`,
      );
      continue;
    }
    if (/^\**$/.test(parsed.value)) {
      errors.push(
        `SHAREABLE_GROUPS holds "${item}", which would make every ${parsed.kind} shareable: name the groups, e.g. ${parsed.kind}:team-*.`,
      );
      continue;
    }
    patterns.push({ kind: parsed.kind, glob: parsed.value, regex: globRegex(parsed.value) });
  }
  return { patterns, errors };
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** Every group the claims carry, as `<kind>:<value>`, before the operator's filter. */
export function claimedGroups(claims: Claims): string[] {
  return [
    ...entitlementsOf(claims).map((v) => `entitlement:${v}`),
    ...realmRolesOf(claims).map((v) => `realm_role:${v}`),
    ...stringList(claims.groups).map((v) => `group:${v}`),
  ];
}

/** The person's shareable groups: their claimed groups that some pattern matches, sorted, once each. */
export function shareableGroupsOf(claims: Claims, patterns: readonly GroupPattern[]): string[] {
  if (patterns.length === 0) return [];
  const held = claimedGroups(claims).filter((id) => {
    const parsed = parseGroupId(id);
    return parsed !== undefined && patterns.some((p) => p.kind === parsed.kind && p.regex.test(parsed.value));
  });
  return [...new Set(held)].sort();
}

/** Whether a group id is shareable at all on this service (matches a pattern). */
export function isShareable(id: string, patterns: readonly GroupPattern[]): boolean {
  const parsed = parseGroupId(id);
  return parsed !== undefined && patterns.some((p) => p.kind === parsed.kind && p.regex.test(parsed.value));
}

/** Every role this service makes starts with this; MLflow's own hidden roles are `__user_<id>__`. */
const GROUP_ROLE_PREFIX = 'oidc-group:';
/** MLflow 3.18 refuses longer role names (`MAX_ROLE_NAME_LENGTH`). */
const MAX_ROLE_NAME = 255;

/**
 * The MLflow role of a group: `oidc-group:<kind>:<value>`, e.g. `oidc-group:realm_role:team-vision`; a name
 * that would be longer than MLflow allows keeps its first 180 characters and ends with `#` and 16 hex
 * characters of the group id's SHA-256, so it stays unique and readable. MLflow's hidden roles
 * (`__user_<id>__`) never start so; a hand-made role that does is never adopted (see `groups/service.ts`).
 */
export function roleNameOf(groupId: string): string {
  const name = `${GROUP_ROLE_PREFIX}${groupId}`;
  if (name.length <= MAX_ROLE_NAME) return name;
  const digest = createHash('sha256').update(groupId).digest('hex').slice(0, 16);
  return `${name.slice(0, 180)}#${digest}`;
}
