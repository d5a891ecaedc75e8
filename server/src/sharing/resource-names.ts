/**
 * A short-lived, bounded cache of which MLflow resources exist and what they are called, so that a
 * sharing page of many rows does not cost one MLflow call per row. Experiment names are resolved in bulk
 * (one paginated search when many are unknown, shared by concurrent callers); registered models and
 * prompts one by one, concurrently. Entries expire after a TTL and the least recently used go first, so
 * the cache never grows with what people ask for.
 */
import { LRUCache } from 'lru-cache';
import type { MlflowClient } from '../mlflow/client.js';
import type { ResourceType } from '../mlflow/permissions.js';

/** Above this many unknown ids, one paginated search is cheaper than one `get` per id. */
const BULK_THRESHOLD = 10;
const MAX_ENTRIES = 20_000;

export interface ResourceInfo {
  type: ResourceType;
  id: string;
  name: string;
}

/** `null` remembers that there is no such resource (absent, deleted, or not addressable). */
type Known<T> = { value: T | null };

export function createResourceNames(
  mlflow: Pick<MlflowClient, 'resources'>,
  options: { ttlMs?: number; maxEntries?: number } = {},
) {
  const cacheOptions = { max: options.maxEntries ?? MAX_ENTRIES, ttl: options.ttlMs ?? 30_000 };
  const experiments = new LRUCache<string, Known<string>>(cacheOptions);
  const models = new LRUCache<string, Known<{ isPrompt: boolean }>>({
    ...cacheOptions,
    // Concurrent look-ups of one name share one MLflow call.
    fetchMethod: async (name) => ({ value: await mlflow.resources.getRegisteredModel(name) }),
  });
  let scan: Promise<void> | undefined;

  /** Every active experiment, page by page; concurrent callers share one scan. */
  function scanExperiments(): Promise<void> {
    scan ??= (async () => {
      let pageToken: string | undefined;
      do {
        const page = await mlflow.resources.searchExperiments(pageToken);
        for (const e of page.experiments) experiments.set(e.id, { value: e.deleted ? null : e.name });
        pageToken = page.nextPageToken;
      } while (pageToken);
    })().finally(() => {
      scan = undefined;
    });
    return scan;
  }

  async function lookUpExperiment(id: string): Promise<void> {
    const experiment = await mlflow.resources.getExperiment(id);
    experiments.set(id, { value: experiment && !experiment.deleted ? experiment.name : null });
  }

  async function model(name: string): Promise<{ isPrompt: boolean } | null> {
    return (await models.fetch(name))?.value ?? null;
  }

  return {
    /** Experiment names by id (missing or deleted experiments are absent from the map). */
    async experimentNames(ids: readonly string[]): Promise<Map<string, string>> {
      const missing = [...new Set(ids)].filter((id) => !experiments.has(id));
      if (missing.length > BULK_THRESHOLD) {
        await scanExperiments();
        for (const id of missing) if (!experiments.has(id)) experiments.set(id, { value: null });
      } else {
        await Promise.all(missing.map(lookUpExperiment));
      }
      const out = new Map<string, string>();
      for (const id of ids) {
        const name = experiments.get(id)?.value;
        if (name) out.set(id, name);
      }
      return out;
    },

    /** The registered models and prompts among `names` that still exist, looked up concurrently. */
    async existingModels(names: readonly string[]): Promise<Set<string>> {
      const found = await Promise.all(names.map(async (name) => [name, await model(name)] as const));
      return new Set(found.filter(([, m]) => m !== null).map(([name]) => name));
    },

    async isPrompt(name: string): Promise<boolean> {
      return (await model(name))?.isPrompt ?? false;
    },

    /** The resource when it exists and is of that type (a prompt is not a registered model here). */
    async find(type: ResourceType, id: string): Promise<ResourceInfo | null> {
      if (type === 'experiment') {
        const name = (await this.experimentNames([id])).get(id);
        return name ? { type, id, name } : null;
      }
      const m = await model(id);
      if (!m || m.isPrompt !== (type === 'prompt')) return null;
      return { type, id, name: id };
    },
  };
}

export type ResourceNames = ReturnType<typeof createResourceNames>;
