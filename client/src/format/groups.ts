/**
 * A provider group as people know it. Group ids are `<kind>:<value>` (see docs/api.md, "Sharing with a
 * group"): exact, but `realm_role:team-vision` reads like code, and an entitlement is a URN such as
 * `urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu`. Pages show the name with its kind in
 * words; the id stays the value that is sent.
 */

const KIND_WORDS: ReadonlyMap<string, string> = new Map([
  ['realm_role', 'realm role'],
  ['group', 'group'],
  ['entitlement', 'entitlement'],
]);

/**
 * An entitlement in the AARC-G002 form `<namespace>:group:<group>[:<subgroup>…][:role=<role>]#<authority>`,
 * as EGI Check-in and other AARC proxies issue them: the group path and the role, without the namespace
 * and the authority that are the same for everyone in one deployment.
 */
const AARC_ENTITLEMENT = /^urn:.+?:group:([^#]+?)(?::role=([^#:]+))?(?:#.*)?$/;

function entitlementName(value: string): string {
  const m = AARC_ENTITLEMENT.exec(value);
  if (!m) return value;
  const path = m[1]!.split(':').join(' › ');
  return m[2] ? `${path}, role ${m[2]}` : path;
}

/**
 * `realm_role:team-vision` → "team-vision (realm role)"; an AARC entitlement → "vo.ai4eosc.eu › team, role
 * member (entitlement)"; an id of a kind this page does not know, as it is.
 */
export function groupLabel(id: string): string {
  const colon = id.indexOf(':');
  const words = colon > 0 ? KIND_WORDS.get(id.slice(0, colon)) : undefined;
  if (!words) return id;
  const value = id.slice(colon + 1);
  return `${words === 'entitlement' ? entitlementName(value) : value} (${words})`;
}
