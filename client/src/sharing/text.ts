/**
 * The words the sharing page uses for resource types, permissions and rows, and how its filter matches.
 * Pure functions, so that the page, the store and the tests agree.
 */
import { ApiError, type EffectivePermission, type ResourceType, type SharedResource } from '../api';

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

/** The resource type a `?tab=` value names, or undefined. */
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

/** "Read", "Manage"…; "None" for a missing direct grant. */
export function permissionLabel(permission: EffectivePermission | null): string {
  return permission ? PERMISSION_TEXT[permission].label : 'None';
}

/**
 * What a row of the resource list is called: the resource's name, or for a role's pattern grant what the
 * pattern covers ("All experiments", "Models named like team-*").
 */
export function resourceLabel(type: ResourceType, resource: Pick<SharedResource, 'id' | 'name' | 'pattern'>): string {
  if (!resource.pattern) return resource.name ?? resource.id;
  const { plural } = TYPE_TEXT[type];
  if (resource.id === '*') return `All ${plural}`;
  const Plural = plural.charAt(0).toUpperCase() + plural.slice(1);
  return type === 'experiment' ? `${Plural} with an id like ${resource.id}` : `${Plural} named like ${resource.id}`;
}

/** "through role readers" for a role's grant; null for a direct one. */
export function viaLabel(grant: { via: 'direct' | 'role'; role: string | null }): string | null {
  return grant.via === 'role' ? `through role ${grant.role ?? '(unnamed)'}` : null;
}

function normalise(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase().trim();
}

/**
 * Whether a row matches the filter box: its label (the name) contains the text, ignoring case; an
 * experiment also matches its id. An empty filter matches everything.
 */
export function matchesFilter(type: ResourceType, resource: SharedResource, filter: string): boolean {
  const wanted = normalise(filter);
  if (!wanted) return true;
  if (normalise(resourceLabel(type, resource)).includes(wanted)) return true;
  return type === 'experiment' && !resource.pattern && resource.id === wanted;
}

/**
 * The error to show for a failed sharing action about `username`: the server's own words, except where
 * the page can say it better knowing who was meant.
 */
export function sharingError(error: ApiError, username?: string): ApiError {
  if (error.code === 'user_not_registered' && username) {
    return new ApiError(
      error.status,
      error.code,
      `${username} has no MLflow account yet: ask them to register first.`,
      error.fields,
    );
  }
  return error;
}
