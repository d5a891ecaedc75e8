import { describe, expect, it } from 'vitest';
import { groupLabel } from '../groups';

describe('groupLabel', () => {
  it.each([
    ['realm_role:team-vision', 'team-vision (realm role)'],
    ['group:/vo/vision', '/vo/vision (group)'],
    [
      'entitlement:urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu',
      'vo.ai4eosc.eu, role member (entitlement)',
    ],
    [
      'entitlement:urn:mace:egi.eu:group:vo.ai4eosc.eu:vision:role=vm_operator#aai.egi.eu',
      'vo.ai4eosc.eu › vision, role vm_operator (entitlement)',
    ],
    ['entitlement:urn:geant:example.org:group:team-a#example.org', 'team-a (entitlement)'],
    ['entitlement:not-a-urn', 'not-a-urn (entitlement)'],
  ])('when the id is %j, then it reads %j', (id, label) => expect(groupLabel(id)).toBe(label));

  it.each(['team-vision', 'toString:x', 'constructor:x', ':x', 'unknown_kind:x'])(
    'when the id %j has no kind this page knows, then it is shown as it is',
    (id) => expect(groupLabel(id)).toBe(id),
  );
});
