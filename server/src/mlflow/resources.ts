/**
 * Experiments, registered models and prompts as the admin sees them: existence, names and kinds.
 * Prompts are registered models tagged `mlflow.prompt.is_prompt = true` (docs/reference/mlflow-auth-api.md).
 */
import { z } from 'zod';
import type { AdminRequests } from './client.js';
import { UpstreamError } from '../http.js';

const PROMPT_TAG = 'mlflow.prompt.is_prompt';
/** The largest page `experiments/search` serves: listing N experiments costs ⌈N / 1000⌉ calls. */
const EXPERIMENT_PAGE_SIZE = 1000;

const experimentSchema = z.looseObject({
  experiment_id: z.coerce.string(),
  name: z.string(),
  lifecycle_stage: z.string().optional(),
});
const experimentPageSchema = z.looseObject({
  experiments: z.array(experimentSchema).default([]),
  next_page_token: z.string().optional(),
});
const tagsSchema = z.array(z.looseObject({ key: z.string(), value: z.string() })).optional();
const modelSchema = z.looseObject({ name: z.string(), tags: tagsSchema });

export interface Experiment {
  id: string;
  name: string;
  deleted: boolean;
}

export interface RegisteredModel {
  name: string;
  isPrompt: boolean;
}

const toExperiment = (e: z.infer<typeof experimentSchema>): Experiment => ({
  id: e.experiment_id,
  name: e.name,
  deleted: e.lifecycle_stage === 'deleted',
});

/** A 400 to a look-up means the id cannot exist (e.g. an experiment id that is not a number). */
const isUnknownId = (err: unknown) =>
  err instanceof Error && err.cause instanceof UpstreamError && err.cause.status === 400;

export function createResources(admin: AdminRequests) {
  return {
    /** The experiment, or `null` when there is none with that id. */
    async getExperiment(id: string): Promise<Experiment | null> {
      try {
        const body = await admin.orNull(
          { action: 'look up the experiment', path: '/api/2.0/mlflow/experiments/get', query: { experiment_id: id } },
          z.looseObject({ experiment: experimentSchema }),
        );
        return body === null ? null : toExperiment(body.experiment);
      } catch (err) {
        if (isUnknownId(err)) return null;
        throw err;
      }
    },

    /** One page of the active experiments, in pages of {@link EXPERIMENT_PAGE_SIZE}. */
    async searchExperiments(
      pageToken?: string,
    ): Promise<{ experiments: Experiment[]; nextPageToken: string | undefined }> {
      const page = await admin.call(
        {
          action: 'list experiments',
          path: '/api/2.0/mlflow/experiments/search',
          query: { max_results: EXPERIMENT_PAGE_SIZE, page_token: pageToken },
        },
        experimentPageSchema,
      );
      return { experiments: page.experiments.map(toExperiment), nextPageToken: page.next_page_token || undefined };
    },

    /** The registered model or prompt, or `null` when there is none with that name. */
    async getRegisteredModel(name: string): Promise<RegisteredModel | null> {
      try {
        const body = await admin.orNull(
          { action: 'look up the model', path: '/api/2.0/mlflow/registered-models/get', query: { name } },
          z.looseObject({ registered_model: modelSchema }),
        );
        if (body === null) return null;
        const m = body.registered_model;
        return {
          name: m.name,
          isPrompt: (m.tags ?? []).some((t) => t.key === PROMPT_TAG && t.value.toLowerCase() === 'true'),
        };
      } catch (err) {
        if (isUnknownId(err)) return null;
        throw err;
      }
    },
  };
}
