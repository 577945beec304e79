import { onClipChange } from './events';
import { getClipDoc, type ClipDoc } from './repo';

/**
 * Clip documents for the read-only routes a player calls many times a second (poses, video ranges):
 * remembered per web process for at most CLIP_CACHE_MS (default 2000; 0 turns it off) and dropped
 * at once when the clip changes anywhere (workers and web processes publish every change on Redis,
 * lib/clips/events.ts, which each web process hears). Concurrent loads of one clip share one query.
 * Access is still decided per request (lib/auth/policy.ts) on the remembered document.
 */
const MAX_ENTRIES = 5_000;
const entries = new Map<string, { doc: ClipDoc | null; until: number }>();
const pending = new Map<string, Promise<ClipDoc | null>>();
let listening = false;

function ttlMs(): number {
  const v = Number(process.env.CLIP_CACHE_MS ?? 2000);
  return Number.isFinite(v) && v >= 0 ? v : 2000;
}

export async function getClipDocCached(id: string): Promise<ClipDoc | null> {
  const ttl = ttlMs();
  if (!ttl) return getClipDoc(id);
  if (!listening) {
    listening = true;
    onClipChange((changed) => {
      entries.delete(changed);
      pending.delete(changed);
    });
  }
  const hit = entries.get(id);
  if (hit && hit.until > Date.now()) return hit.doc;
  let job = pending.get(id);
  if (!job) {
    job = getClipDoc(id).then((doc) => {
      if (pending.get(id) === job) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        entries.set(id, { doc, until: Date.now() + ttl });
        pending.delete(id);
      }
      return doc;
    });
    job.catch(() => pending.get(id) === job && pending.delete(id));
    pending.set(id, job);
  }
  return job;
}

/** Forgets every remembered clip (after a state-changing request of this process: deletion, cancel, ...). */
export function forgetClipDocs(): void {
  entries.clear();
  pending.clear();
}
