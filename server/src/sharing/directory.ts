/**
 * Names and existence of MLflow resources, looked up as admin and cached briefly. A sharing page lists
 * many rows: experiment names are resolved in bulk (one search over all experiments when many are
 * missing from the cache), not one request per row.
 */
import { z } from 'zod';
import { UpstreamError } from '../http.js';
import type { MlflowClient } from '../mlflow/client.js';
import type { ResourceType } from './permissions.js';

const PROMPT_TAG = 'mlflow.prompt.is_prompt';
/** Above this many unknown ids, one paginated search is cheaper than one `get` per id. */
const BULK_THRESHOLD = 10;

export interface ResourceInfo {
  type: ResourceType;
  id: string;
  name: string;
}

interface Entry<T> {
  value: T;
  at: number;
}

const experimentSchema = z.looseObject({ experiment_id: z.coerce.string(), name: z.string(), lifecycle_stage: z.string().optional() });
const tagsSchema = z.array(z.looseObject({ key: z.string(), value: z.string() })).optional();
const modelSchema = z.looseObject({ name: z.string(), tags: tagsSchema });

export function createDirectory(mlflow: MlflowClient, options: { ttlMs?: number } = {}) {
  const ttl = options.ttlMs ?? 30_000;
  const experiments = new Map<string, Entry<string | null>>();
  const models = new Map<string, Entry<{ isPrompt: boolean } | null>>();
  const fresh = <T>(e: Entry<T> | undefined): e is Entry<T> => e !== undefined && Date.now() - e.at < ttl;
  const { request, adminHeaders: headers } = mlflow;

  async function fetchExperiment(id: string): Promise<string | null> {
    try {
      const { body } = await request('/api/2.0/mlflow/experiments/get', { headers, query: { experiment_id: id } });
      const exp = experimentSchema.parse((body as { experiment: unknown }).experiment);
      return exp.lifecycle_stage === 'deleted' ? null : exp.name;
    } catch (err) {
      if (err instanceof UpstreamError && (err.status === 404 || err.status === 400)) return null;
      throw err;
    }
  }

  async function searchAllExperiments(): Promise<void> {
    let pageToken: string | undefined;
    const now = Date.now();
    do {
      const { body } = await request('/api/2.0/mlflow/experiments/search', { headers, query: { max_results: 1000, page_token: pageToken } });
      const page = z.looseObject({ experiments: z.array(experimentSchema).default([]), next_page_token: z.string().optional() }).parse(body);
      for (const e of page.experiments) experiments.set(e.experiment_id, { value: e.name, at: now });
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
  }

  async function model(name: string): Promise<{ isPrompt: boolean } | null> {
    const cached = models.get(name);
    if (fresh(cached)) return cached.value;
    let value: { isPrompt: boolean } | null;
    try {
      const { body } = await request('/api/2.0/mlflow/registered-models/get', { headers, query: { name } });
      const m = modelSchema.parse((body as { registered_model: unknown }).registered_model);
      value = { isPrompt: (m.tags ?? []).some((t) => t.key === PROMPT_TAG && t.value.toLowerCase() === 'true') };
    } catch (err) {
      if (!(err instanceof UpstreamError && (err.status === 404 || err.status === 400))) throw err;
      value = null;
    }
    models.set(name, { value, at: Date.now() });
    return value;
  }

  return {
    /** Experiment names by id (missing or deleted experiments are absent from the map). */
    async experimentNames(ids: string[]): Promise<Map<string, string>> {
      const missing = ids.filter((id) => !fresh(experiments.get(id)));
      if (missing.length > BULK_THRESHOLD) {
        await searchAllExperiments();
        for (const id of missing) if (!fresh(experiments.get(id))) experiments.set(id, { value: null, at: Date.now() });
      } else {
        await Promise.all(missing.map(async (id) => experiments.set(id, { value: await fetchExperiment(id), at: Date.now() })));
      }
      const out = new Map<string, string>();
      for (const id of ids) {
        const name = experiments.get(id)?.value;
        if (name) out.set(id, name);
      }
      return out;
    },

    /** The registered models and prompts among `names` that still exist, looked up concurrently (cached). */
    async existingModels(names: string[]): Promise<Map<string, string>> {
      const found = await Promise.all(names.map(async (name) => [name, await model(name)] as const));
      return new Map(found.filter(([, m]) => m !== null).map(([name]) => [name, name]));
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

export type Directory = ReturnType<typeof createDirectory>;
