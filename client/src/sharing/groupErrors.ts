/** How failed group-sharing actions are put in words. */
import { ApiError } from '../api';
import { groupLabel } from '../format/groups';

/**
 * The error to show for a failed action on `group`'s grant: words that name the group and say what to do
 * for the group-sharing codes, the server's own words for every other one.
 */
export function groupError(error: ApiError, group?: string): ApiError {
  const name = group ? groupLabel(group) : undefined;
  const which = name ? `the group ${name}` : 'this group';
  // A Map: the code comes from the server, and a plain object would answer "constructor" too.
  const words = new Map<string, string>([
    [
      'not_a_group_member',
      `You are not a member of ${which} at your sign-in provider (any more), so you cannot share with it or change its permission. If you joined it recently, sign out and in again.`,
    ],
    [
      'group_role_conflict',
      `MLflow already has a role with the name of ${which} that this service did not make, so it cannot be shared with. Ask MLflow’s administrators to rename or remove that role.`,
    ],
    [
      'group_grant_not_found',
      `${name ? `The group ${name}` : 'This group'} has no permission of its own on this any more.`,
    ],
    ['not_supported_by_mlflow', 'This MLflow server (a version before 3.13) cannot share with groups.'],
  ]);
  const message = words.get(error.code);
  return message ? new ApiError(error.status, error.code, message, error.fields) : error;
}
