/**
 * A counting reverse proxy in front of a real MLflow: the BFF is pointed at it (MLFLOW_HOSTNAME), and a
 * test or the benchmark reads how many requests each action sent. Every MLflow call with Basic
 * credentials costs MLflow a password-hash check (~140 ms of CPU), so the count is the cost.
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
  reset(): void;
  close(): Promise<void>;
}

/** Starts the proxy on a free loopback port, forwarding everything to `target` unchanged. */
export async function startMlflowCallCounter(target: string): Promise<MlflowCallCounter> {
  const upstream = new URL(target);
  let calls: ProxiedCall[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    calls.push({ method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]! });
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
    reset() {
      calls = [];
    },
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
