/**
 * The single-instance session store: sessions kept in memory as compact JSON, bounded by bytes rather
 * than by count, so a heap capped for a small container (the image runs with a 64 MB old space) cannot
 * be exhausted by people whose claims are large (long entitlement lists). When the bound is reached the
 * least recently used sessions end first; expired ones are purged on a timer.
 */
import session from 'express-session';
import { LRUCache } from 'lru-cache';

type Callback = (err?: unknown) => void;

export interface MemorySessionStoreOptions {
  /** The most bytes of session JSON kept (UTF-16 code units, which is what the heap stores). */
  maxBytes: number;
  /** How often expired sessions are removed. */
  pruneIntervalMs: number;
  /** Lifetime of a session whose cookie carries no expiry. */
  defaultTtlMs: number;
}

export class MemorySessionStore extends session.Store {
  private readonly sessions: LRUCache<string, string>;
  private readonly pruner: NodeJS.Timeout;

  constructor(private readonly options: MemorySessionStoreOptions) {
    super();
    this.sessions = new LRUCache<string, string>({
      maxSize: options.maxBytes,
      sizeCalculation: (json, sid) => json.length + sid.length,
      ttl: options.defaultTtlMs,
    });
    this.pruner = setInterval(() => this.sessions.purgeStale(), options.pruneIntervalMs);
    this.pruner.unref();
  }

  private ttlOf(data: session.SessionData): number {
    const expires = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : undefined;
    return expires === undefined ? this.options.defaultTtlMs : Math.max(1, expires - Date.now());
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    const json = this.sessions.get(sid);
    callback(null, json === undefined ? null : (JSON.parse(json) as session.SessionData));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.sessions.set(sid, JSON.stringify(data), { ttl: this.ttlOf(data) });
    callback?.();
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    const json = this.sessions.get(sid);
    if (json !== undefined) this.sessions.set(sid, json, { ttl: this.ttlOf(data) });
    callback?.();
  }

  override destroy(sid: string, callback?: Callback): void {
    this.sessions.delete(sid);
    callback?.();
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    callback(null, this.sessions.size);
  }

  override clear(callback?: Callback): void {
    this.sessions.clear();
    callback?.();
  }

  /** Stops the pruning timer (at shutdown). */
  close(): void {
    clearInterval(this.pruner);
  }
}
