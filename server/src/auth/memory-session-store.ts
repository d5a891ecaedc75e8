/**
 * The single-instance session store: sessions kept in memory as compact JSON, bounded by bytes rather
 * than by count, so a heap capped for a small container (the image runs with a 64 MB old space) cannot
 * be exhausted by people whose claims are large (long entitlement lists). When the bound is reached the
 * least recently used sessions end first; expired ones are purged on a timer.
 */
import session from 'express-session';
import { LRUCache } from 'lru-cache';
import './session-data.js';

type Callback = (err?: unknown) => void;

/** Whose sign-in a stored session is: the provider and the person's `sub` there. */
export interface SessionOwner {
  issuer: string;
  sub: string;
}

/** A stored session as the list of a person's sign-ins needs it: never its tokens or claims. */
export interface SessionSummary {
  /** The session id: a bearer secret, never sent to a browser or written to a log. */
  sid: string;
  createdAt?: number;
  lastSeenAt?: number;
  device?: string;
}

/** One stored session: its JSON, and whose sign-in it is, so a person's sessions are found without parsing. */
interface Entry {
  json: string;
  owner: string | undefined;
}

/** The key of a session's owner; JSON keeps issuer and sub apart whatever characters they hold. */
const ownerKey = (owner: SessionOwner): string => JSON.stringify([owner.issuer, owner.sub]);

function ownerOf(data: session.SessionData): string | undefined {
  const user = data.user;
  return user && typeof user.issuer === 'string' && typeof user.sub === 'string' ? ownerKey(user) : undefined;
}

export interface MemorySessionStoreOptions {
  /** The most bytes of session JSON kept (UTF-16 code units, which is what the heap stores). */
  maxBytes: number;
  /** How often expired sessions are removed. */
  pruneIntervalMs: number;
  /** Lifetime of a session whose cookie carries no expiry. */
  defaultTtlMs: number;
}

export class MemorySessionStore extends session.Store {
  private readonly sessions: LRUCache<string, Entry>;
  private readonly pruner: NodeJS.Timeout;

  constructor(private readonly options: MemorySessionStoreOptions) {
    super();
    this.sessions = new LRUCache<string, Entry>({
      maxSize: options.maxBytes,
      sizeCalculation: (entry, sid) => entry.json.length + (entry.owner?.length ?? 0) + sid.length,
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
    const entry = this.sessions.get(sid);
    callback(null, entry === undefined ? null : (JSON.parse(entry.json) as session.SessionData));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.put(sid, data);
    callback?.();
  }

  /** {@link set}, but only while the session is still stored: an ended session is never written back. */
  replace(sid: string, data: session.SessionData, callback?: Callback): void {
    if (this.sessions.has(sid)) this.put(sid, data);
    callback?.();
  }

  private put(sid: string, data: session.SessionData): void {
    this.sessions.set(sid, { json: JSON.stringify(data), owner: ownerOf(data) }, { ttl: this.ttlOf(data) });
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    const entry = this.sessions.get(sid);
    if (entry !== undefined) this.sessions.set(sid, entry, { ttl: this.ttlOf(data) });
    callback?.();
  }

  /**
   * The live sessions of one person. The cache is bounded by bytes, so this walk is bounded too; only the
   * person's own entries are parsed, and nothing becomes more recently used by being listed.
   */
  sessionsOf(owner: SessionOwner): SessionSummary[] {
    const key = ownerKey(owner);
    const found: SessionSummary[] = [];
    for (const [sid, entry] of this.sessions.entries()) {
      if (entry.owner !== key) continue;
      const data = JSON.parse(entry.json) as session.SessionData;
      found.push({ sid, createdAt: data.createdAt, lastSeenAt: data.lastSeenAt, device: data.device });
    }
    return found;
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
