/**
 * The words the sharing page uses for resource types, permissions and rows. Pure functions and tables, so
 * that the page, the dialog, the store and the tests say the same thing.
 */
import type { CollaboratorLookup, EffectivePermission, ResourceType, SharedResource } from '../api';
import { formatDate } from '../format/dates';

/** The tabs, in order. */
export const RESOURCE_TYPES: readonly ResourceType[] = ['experiment', 'registered_model', 'prompt'];

interface TypeText {
  /** The tab's label. */
  tab: string;
  singular: string;
  plural: string;
  /** The `?tab=` value in the page's address. */
  slug: string;
}

export const TYPE_TEXT: Readonly<Record<ResourceType, TypeText>> = {
  experiment: { tab: 'Experiments', singular: 'experiment', plural: 'experiments', slug: 'experiments' },
  registered_model: { tab: 'Models', singular: 'model', plural: 'models', slug: 'models' },
  prompt: { tab: 'Prompts', singular: 'prompt', plural: 'prompts', slug: 'prompts' },
};

/**
 * The resource type a `?tab=` value names, or undefined. The address uses words people can read
 * (`?tab=models`) rather than the API's `registered_model`, so the two have to be mapped.
 */
export function typeForSlug(slug: unknown): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => TYPE_TEXT[type].slug === slug);
}

interface PermissionText {
  label: string;
  /** What it allows, in a few words (completes "Read: …"). */
  description: string;
}

export const PERMISSION_TEXT: Readonly<Record<EffectivePermission, PermissionText>> = {
  READ: { label: 'Read', description: 'view it' },
  USE: { label: 'Use', description: 'view and use it without editing (e.g. through the AI gateway)' },
  EDIT: { label: 'Edit', description: 'view and change it' },
  MANAGE: { label: 'Manage', description: 'change, delete and share it' },
  NO_PERMISSIONS: { label: 'No access', description: 'cannot see it' },
};

/** "Read", "Manage"…; "None" for a missing direct grant, which the API sends as null. */
export function permissionLabel(permission: EffectivePermission | null): string {
  return permission ? PERMISSION_TEXT[permission].label : 'None';
}

/**
 * What a row of the resource list is called: the resource's name, or for a role's pattern grant what the
 * pattern covers ("All experiments", "Models named like team-*"), since a bare `*` means nothing to people.
 */
export function resourceLabel(type: ResourceType, resource: Pick<SharedResource, 'id' | 'name' | 'pattern'>): string {
  if (!resource.pattern) return resource.name ?? resource.id;
  const { plural } = TYPE_TEXT[type];
  if (resource.id === '*') return `All ${plural}`;
  const Plural = plural.charAt(0).toUpperCase() + plural.slice(1);
  return type === 'experiment' ? `${Plural} with an id like ${resource.id}` : `${Plural} named like ${resource.id}`;
}

/**
 * "through role readers" for a role's grant; null for a direct one. Role grants cannot be changed here, so
 * the page says where they come from.
 */
export function viaLabel(grant: { via: 'direct' | 'role' | 'invitation'; role: string | null }): string | null {
  return grant.via === 'role' ? `through role ${grant.role ?? '(unnamed)'}` : null;
}

/**
 * The answer to looking someone up by email (MLflow before 3.13), in a sentence: their own grant, and what
 * they have all grants counted when roles give them something else, so that nobody is surprised that
 * removing a direct grant leaves access through a role. For an email without an account, its invitation.
 */
export function lookupSummary(found: CollaboratorLookup, type: ResourceType): string {
  const of = `${found.username} has`;
  const where = `on this ${TYPE_TEXT[type].singular}`;
  if (found.pending) {
    const access = `${PERMISSION_TEXT[found.pending.permission].label} access ${where}`;
    return `${found.username} has no MLflow account yet. They are invited: ${access} when they register, until ${formatDate(found.pending.expires_at)}.`;
  }
  const direct = found.permission
    ? `${of} ${PERMISSION_TEXT[found.permission].label} access ${where}.`
    : `${of} no permission of their own ${where}.`;
  const effective = found.effective_permission;
  if (effective === (found.permission ?? 'NO_PERMISSIONS')) return direct;
  return `${direct} All grants counted, they have: ${permissionLabel(effective)}.`;
}
