import { planSync, type GroupRole } from './sync-plan.js';

const role = (groupId: string, roleId: number): GroupRole => ({ groupId, roleId, roleName: `oidc-group:${groupId}` });
const roles = [role('realm_role:a', 10), role('realm_role:b', 11), role('realm_role:c', 12)];

describe('planSync', () => {
  it('when the person holds groups whose roles they lack, then they join those', () => {
    expect(planSync(['realm_role:a', 'realm_role:b'], roles, [11])).toEqual({ join: [roles[0]], leave: [] });
  });

  it('when the person no longer holds a group whose role they have, then they leave it', () => {
    expect(planSync(['realm_role:a'], roles, [10, 12])).toEqual({ join: [], leave: [roles[2]] });
  });

  it('when MLflow says they hold roles this service did not make, then those are never touched', () => {
    expect(planSync([], roles, [1, 2, 99])).toEqual({ join: [], leave: [] });
  });

  it('when a held group was never shared (no role), then nothing is planned for it', () => {
    expect(planSync(['realm_role:new'], roles, [])).toEqual({ join: [], leave: [] });
  });

  it('when everything is in step, then the plan is empty', () => {
    expect(planSync(['realm_role:a', 'realm_role:c'], roles, [10, 12, 3])).toEqual({ join: [], leave: [] });
  });
});
