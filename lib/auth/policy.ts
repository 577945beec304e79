import type { Filter } from 'mongodb';
import { getClipDoc, type ClipDoc } from '../clips/repo';
import { HttpError } from '../upload';
import type { Actor, UserActor } from './identity';

/**
 * The one place that decides "may this caller do X to clip Y". Route handlers only declare the action
 * (lib/http/route.ts); services and streams filter with clipScope.
 *
 *  - clip.read / clip.view / clip.export: the owner, an admin, or a share viewer of exactly that clip
 *  - clip.update (cancel, retry) / clip.delete: the owner or an admin
 *  - clip.share (create, list, revoke links): the owner only; a link to an athlete's video is the
 *    owner's decision, not the server admin's
 *  - clip.create, queue.read: any signed-in user; admin: users with the admin role
 * Missing and forbidden answer the same 404, so nobody learns which clip ids exist.
 */
export type ClipAction = 'clip.read' | 'clip.view' | 'clip.export' | 'clip.update' | 'clip.delete' | 'clip.share';
export type Action = ClipAction | 'clip.create' | 'queue.read' | 'admin';

const SHARE_ACTIONS: ReadonlySet<ClipAction> = new Set(['clip.read', 'clip.view', 'clip.export']);

export function isUser(actor: Actor): actor is UserActor {
  return actor.kind === 'user';
}

export function isAdmin(actor: Actor): boolean {
  return actor.kind === 'user' && actor.role === 'admin';
}

/** May `actor` do `action` to this clip (already loaded)? */
export function canClip(actor: Actor, action: ClipAction, clip: Pick<ClipDoc, '_id' | 'ownerId'>): boolean {
  if (actor.kind === 'anonymous') return false;
  if (actor.kind === 'share') return SHARE_ACTIONS.has(action) && actor.clipId === clip._id.toHexString();
  const owner = !!clip.ownerId && clip.ownerId === actor.userId;
  if (action === 'clip.share') return owner;
  return owner || actor.role === 'admin';
}

export const NO_SUCH_CLIP = 'No such clip.';

/** The clip, when the actor may do `action` to it; else 404, the same answer as for a missing clip. */
export async function requireClip(actor: Actor, action: ClipAction, id: string, load: (id: string) => Promise<ClipDoc | null> = getClipDoc): Promise<ClipDoc> {
  if (actor.kind === 'anonymous') throw new HttpError(404, NO_SUCH_CLIP);
  if (actor.kind === 'share' && actor.clipId !== id) throw new HttpError(404, NO_SUCH_CLIP);
  const clip = await load(id);
  if (!clip || !canClip(actor, action, clip)) throw new HttpError(404, NO_SUCH_CLIP);
  return clip;
}

/**
 * The filter of the clips an actor sees in lists and event streams: their own. An admin's library is
 * their own too; `all` (GET /api/clips?all=1) widens it to every clip for admins only.
 */
export function clipScope(actor: Actor, opts: { all?: boolean } = {}): Filter<ClipDoc> {
  if (actor.kind === 'user') return actor.role === 'admin' && opts.all ? {} : { ownerId: actor.userId };
  if (actor.kind === 'share') return { _id: { $in: [] } }; // a link shows one clip, never a list
  return { _id: { $in: [] } };
}

/** In-memory twin of clipScope for one clip (event streams). */
export function inScope(actor: Actor, clip: Pick<ClipDoc, 'ownerId'>, opts: { all?: boolean } = {}): boolean {
  if (actor.kind !== 'user') return false;
  if (actor.role === 'admin' && opts.all) return true;
  return clip.ownerId === actor.userId;
}
