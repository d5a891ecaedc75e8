import { defineStore } from 'pinia';
import { computed, reactive, readonly } from 'vue';
import {
  asApiError,
  bff,
  type ApiError,
  type Collaborator,
  type CollaboratorLookup,
  type Grant,
  type Permission,
  type ResourceType,
  type SharedResource,
  type SharingCapabilities,
} from '../api';
import { sharingError } from '../sharing/errors';
import { matchesFilter } from '../sharing/filter';
import { RESOURCE_TYPES } from '../sharing/labels';
import { useAccountStore } from './account';

/** One tab of the sharing page: the person's resources of one type. */
export interface ResourceListState {
  /** True while `GET /api/resources` runs (the previous rows stay meanwhile). */
  loading: boolean;
  /** True once a load succeeded. */
  loaded: boolean;
  /** Why the last load failed, or null. */
  error: ApiError | null;
  capabilities: SharingCapabilities | null;
  resources: SharedResource[];
  /** The text of the filter box. */
  filter: string;
}

function emptyList(): ResourceListState {
  return { loading: false, loaded: false, error: null, capabilities: null, resources: [], filter: '' };
}

/** Answers after which the list of resources no longer says what the person may do: reload it. */
const LIST_OUTDATED = new Set(['forbidden', 'resource_not_found']);

/**
 * Sharing: the experiments, models and prompts the signed-in person holds a grant on
 * (`GET /api/resources`), and the actions on who else may use one of them
 * (`/api/{type}/{id}/collaborators[/{username}]`).
 */
export const useSharingStore = defineStore('sharing', () => {
  const account = useAccountStore();
  const lists = reactive(
    Object.fromEntries(RESOURCE_TYPES.map((type) => [type, emptyList()])) as Record<ResourceType, ResourceListState>,
  );
  const view = readonly(lists);
  const pending = new Map<ResourceType, Promise<void>>();

  async function fetchList(type: ResourceType): Promise<void> {
    const list = lists[type];
    list.loading = true;
    try {
      const answer = await bff.resources(type);
      list.capabilities = answer.capabilities;
      list.resources = answer.resources;
      list.loaded = true;
      list.error = null;
    } catch (e) {
      list.error = await account.reactToFailure(e);
    } finally {
      list.loading = false;
    }
  }

  /**
   * Fetches the person's resources of one type. Never rejects: a failure is `error` on the list (and an
   * ended session sends the person to sign in again). Concurrent calls for one type share one request.
   */
  function load(type: ResourceType): Promise<void> {
    let running = pending.get(type);
    if (!running) {
      running = fetchList(type).finally(() => pending.delete(type));
      pending.set(type, running);
    }
    return running;
  }

  /** Loads a type unless it is loaded already (or loading); retries after a failure. For opening a tab. */
  function ensureLoaded(type: ResourceType): Promise<void> {
    const list = lists[type];
    return list.loaded && !list.error ? Promise.resolve() : load(type);
  }

  function setFilter(type: ResourceType, text: string): void {
    lists[type].filter = text;
  }

  /** The rows of one type that match its filter, in the server's order. */
  function visible(type: ResourceType): SharedResource[] {
    const { resources, filter } = lists[type];
    return resources.filter((resource) => matchesFilter(type, resource, filter));
  }

  /**
   * Runs one collaborator request. On failure: the app-wide reaction (an ended session signs in again),
   * a reload of the list when the answer shows it is out of date, then rejects with the error in the
   * words to show (see `sharingError`).
   */
  async function act<T>(type: ResourceType, request: () => Promise<T>, username?: string): Promise<T> {
    try {
      return await request();
    } catch (e) {
      const error = asApiError(e);
      if (LIST_OUTDATED.has(error.code)) void load(type);
      throw sharingError(await account.reactToFailure(error), username);
    }
  }

  /** A change to the signed-in person's own grant changes their list: reload it. */
  function afterChangeFor(type: ResourceType, username: string): void {
    if (username === account.account?.username) void load(type);
  }

  /** Everyone with a grant on the resource (MLflow 3.13+; 501 `not_supported_by_mlflow` before). */
  async function collaborators(type: ResourceType, id: string): Promise<Collaborator[]> {
    return (await act(type, () => bff.collaborators(type, id))).collaborators;
  }

  /** One person's direct and effective permission on the resource. */
  function lookup(type: ResourceType, id: string, username: string): Promise<CollaboratorLookup> {
    return act(type, () => bff.collaborator(type, id, username), username);
  }

  /** Gives `username` this permission on the resource, or changes the one they have. */
  async function share(type: ResourceType, id: string, username: string, permission: Permission): Promise<Grant> {
    const grant = await act(type, () => bff.setCollaborator(type, id, username, permission), username);
    afterChangeFor(type, username);
    return grant;
  }

  /** Removes `username`'s direct grant on the resource (grants through roles stay). */
  async function unshare(type: ResourceType, id: string, username: string): Promise<void> {
    await act(type, () => bff.removeCollaborator(type, id, username), username);
    afterChangeFor(type, username);
  }

  return {
    /** The state of each type's list, read-only. */
    lists: computed(() => view),
    load,
    ensureLoaded,
    setFilter,
    visible,
    collaborators,
    lookup,
    share,
    unshare,
  };
});
