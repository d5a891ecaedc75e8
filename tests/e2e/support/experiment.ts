/**
 * The starting point of the sharing journeys: people registered through the BFF, and an experiment that one
 * of them created in MLflow as himself.
 */
import { mlflowAs } from '../../support/mlflow-direct.js';
import type { Stack } from '../../support/stack.js';

/**
 * Registers people through the BFF, given as `{ login: MLflow password }`: each, in that order, signs in
 * through the API and registers. Then the first of them creates the experiment `name` with his own MLflow
 * credentials, as the user the BFF made for him, so that MLflow gives him MANAGE on it and nobody else any
 * permission. Returns the experiment's id.
 */
export async function registerWithExperiment(
  stack: Stack,
  name: string,
  passwords: Record<string, string>,
): Promise<string> {
  let owner: { username: string; password: string } | undefined;
  for (const [login, password] of Object.entries(passwords)) {
    const registered = await (await stack.signIn(login)).register(password);
    expect(registered.status).toBe(201);
    owner ??= { username: registered.body.account.username, password };
  }
  if (!owner) throw new Error('registerWithExperiment needs someone to own the experiment');
  const { username, password } = owner;
  const created = await mlflowAs(stack.mlflow, username, password, 'POST', '/api/2.0/mlflow/experiments/create', {
    name,
  });
  expect(created.status).toBe(200);
  return String(created.body.experiment_id);
}
