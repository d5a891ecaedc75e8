/** Checks against MLflow itself, bypassing the BFF: what a person's MLflow client would see. */
import type { MlflowServer } from './mlflow.js';

const auth = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

/** The HTTP status MLflow answers to these credentials (200 signed in, 401 refused). */
export async function signInStatus(mlflow: MlflowServer, username: string, password: string): Promise<number> {
  const headers = { Authorization: auth(username, password) };
  const res = await fetch(`${mlflow.url}/api/2.0/mlflow/users/current`, { headers });
  if (res.status !== 404) return res.status;
  // MLflow 2.x has no users/current: reading one's own user is the equivalent.
  return (await fetch(`${mlflow.url}/api/2.0/mlflow/users/get?username=${encodeURIComponent(username)}`, { headers }))
    .status;
}

/** The user as MLflow's admin sees it, or `null` when MLflow has no such user. */
export async function mlflowUser(
  mlflow: MlflowServer,
  username: string,
): Promise<{ id: number; username: string; is_admin: boolean } | null> {
  const res = await fetch(`${mlflow.url}/api/2.0/mlflow/users/get?username=${encodeURIComponent(username)}`, {
    headers: { Authorization: auth(mlflow.adminUsername, mlflow.adminPassword) },
  });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`MLflow users/get answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { user: { id: number; username: string; is_admin: boolean } }).user;
}

/** Calls MLflow's REST API as a given user. */
export async function mlflowAs(
  mlflow: MlflowServer,
  username: string,
  password: string,
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${mlflow.url}${path}`, {
    method,
    headers: {
      Authorization: auth(username, password),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/**
 * What `username`'s MLflow client gets (the HTTP status) when it reads experiment `experimentId`, and when it
 * logs a run in it: 200 where its permission allows, 403 where not.
 */
export async function experimentAccess(
  mlflow: MlflowServer,
  username: string,
  password: string,
  experimentId: string,
): Promise<{ read: number; createRun: number }> {
  const as = (method: string, path: string, body?: unknown) => mlflowAs(mlflow, username, password, method, path, body);
  const read = (await as('GET', `/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status;
  const createRun = (await as('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })).status;
  return { read, createRun };
}

/** The direct grant `username` holds on experiment `id`, as MLflow's admin sees it (3.13+ RBAC API). */
export async function directExperimentPermission(
  mlflow: MlflowServer,
  username: string,
  id: string,
): Promise<string | null> {
  const res = await mlflowAs(
    mlflow,
    mlflow.adminUsername,
    mlflow.adminPassword,
    'GET',
    `/api/3.0/mlflow/users/permissions/list?username=${encodeURIComponent(username)}`,
  );
  if (res.status !== 200) throw new Error(`MLflow users/permissions/list answered ${res.status}`);
  const hit = (
    res.body.permissions as Array<{
      resource_type: string;
      resource_pattern: string;
      role_name?: string;
      permission: string;
    }>
  ).find(
    (p) =>
      p.resource_type === 'experiment' &&
      p.resource_pattern === id &&
      /^__user_\d+__$/.test(p.role_name ?? '__user_0__'),
  );
  return hit?.permission ?? null;
}
