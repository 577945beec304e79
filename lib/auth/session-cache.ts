/**
 * Signed-in sessions remembered for a few seconds per web process, so a player's burst of requests
 * (poses, video ranges, frames) costs one session lookup in MongoDB, not one each (issue 13: the lookup
 * was most of a poses request's time). Keyed by the session cookie's value; only found sessions are
 * kept, and concurrent lookups of one token share one query.
 *
 * Freshness: every state-changing request this process handles (sign-out, password change, account
 * deletion, role change, ...) empties the cache (lib/http/route.ts), so this process never serves a
 * session it just ended. Another web process may go on accepting a session ended elsewhere for at most
 * SESSION_CACHE_MS (default 5000; 0 turns the cache off).
 */
import type { UserActor } from './identity';

const MAX_ENTRIES = 10_000;
const entries = new Map<string, { actor: UserActor; until: number }>();
const pending = new Map<string, Promise<UserActor | null>>();
/** bumped by forgetSessions(): a lookup that started before must not store what it found */
let generation = 0;

function ttlMs(): number {
  const v = Number(process.env.SESSION_CACHE_MS ?? 5000);
  return Number.isFinite(v) && v >= 0 ? v : 5000;
}

export async function cachedSession(token: string, load: () => Promise<UserActor | null>): Promise<UserActor | null> {
  const ttl = ttlMs();
  if (!ttl) return load();
  const hit = entries.get(token);
  if (hit && hit.until > Date.now()) return hit.actor;
  let job = pending.get(token);
  if (!job) {
    const gen = generation;
    job = load()
      .then((actor) => {
        if (actor && gen === generation) {
          if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
          entries.set(token, { actor, until: Date.now() + ttl });
        }
        return actor;
      })
      .finally(() => pending.delete(token));
    pending.set(token, job);
  }
  return job;
}

/** Forgets every remembered session (after any state change: sign-out, deletion, role change ...). */
export function forgetSessions(): void {
  generation++;
  entries.clear();
  pending.clear();
}
