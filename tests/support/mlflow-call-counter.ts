/**
 * A counting reverse proxy in front of a real MLflow: the BFF is pointed at it (MLFLOW_HOSTNAME), and a
 * test or the benchmark reads how many requests each action sent. Every MLflow call with Basic
 * credentials costs MLflow a password-hash check (~140 ms of CPU), so the count is the cost. A test can
 * also have the next matching calls fail here, as an MLflow that is briefly down would, without MLflow
 * seeing them.
 */
import http from 'node:http';
import { listen } from './ports.js';

export interface ProxiedCall {
  method: string;
  /** Path without the query string, e.g. `/api/2.0/mlflow/users/get`. */
  path: string;
}

export interface MlflowCallCounter {
  /** Base URL to give the BFF instead of MLflow's own. */
  url: string;
  /** Every call since the last {@link reset}, in arrival order. */
  readonly calls: readonly ProxiedCall[];
  /** How many calls since the last reset (optionally only those matching). */
  count(filter?: (call: ProxiedCall) => boolean): number;
  /**
   * The next `times` calls matching `filter` are answered here with `status` (MLflow's JSON error shape)
   * and never reach MLflow; they are still counted.
   */
  failNext(filter: (call: ProxiedCall) => boolean, options?: { times?: number; status?: number }): void;
  reset(): void;
  close(): Promise<void>;
}

/** Starts the proxy on a free loopback port, forwarding everything to `target` unchanged. */
export async function startMlflowCallCounter(target: string): Promise<MlflowCallCounter> {
  const upstream = new URL(target);
  let calls: ProxiedCall[] = [];
  const failures: Array<{ filter: (call: ProxiedCall) => boolean; left: number; status: number }> = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const call = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]! };
    calls.push(call);
    const failure = failures.find((f) => f.left > 0 && f.filter(call));
    if (failure) {
      failure.left -= 1;
      req.resume();
      res.writeHead(failure.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'failed on purpose by the test' }));
      return;
    }
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    count: (filter) => (filter ? calls.filter(filter).length : calls.length),
    failNext(filter, { times = 1, status = 503 } = {}) {
      failures.push({ filter, left: times, status });
    },
    reset() {
      calls = [];
      failures.length = 0;
    },
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
