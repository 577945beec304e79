import type { ClipDoc } from '../clips/repo';
import { ANONYMOUS, authenticate, type Actor, type ShareActor, type UserActor } from '../auth/identity';
import { isMongoUnavailable } from '../db';
import { countExport, countUpload } from '../auth/limits';
import { fromOwnOrigin } from '../auth/origin';
import { requireClip, type ClipAction } from '../auth/policy';
import { forgetSessions } from '../auth/session-cache';
import { forgetClipDocs, getClipDocCached } from '../clips/doc-cache';
import { HttpError } from '../upload';
import { httpMetrics, routeTemplate } from '../metrics/app';
import { handle } from './respond';

/**
 * Every API route handler is a `route(rule, handler)`: the rule says who may call it, in one place,
 * and the wrapper enforces it before the handler runs (deny by default: test/auth/access-matrix.test.ts
 * fails on an exported method that is not a route()).
 *
 * Rules:
 *  - 'public'   anyone (the handler still gets the actor, e.g. /api/health shows detail to admins)
 *  - 'user'     a signed-in user (session cookie or API key), else 401
 *  - 'admin'    an admin, else 401 (anonymous) / 403 (signed in, not admin)
 *  - 'viewer'   a signed-in user or a valid share link (the body model), else 401
 *  - { clip: action, share? } the clip named by the `id` route parameter, when lib/auth/policy.ts lets
 *    the actor do `action` to it; `share: true` lets share viewers of that clip in (only read-type
 *    actions ever pass for them). Missing and forbidden: the same 404. The loaded clip is passed on.
 *
 * CSRF: a state-changing method (anything but GET/HEAD/OPTIONS) authenticated by the session cookie
 * must come from our own origin (Origin, else Referer), else 403. API keys are not ambient credentials.
 * rateLimit: 'uploads' | 'exports' counts the request against the account's hourly allowance (429).
 */
export type RouteRule = 'public' | 'user' | 'admin' | 'viewer' | { clip: ClipAction; share?: boolean };

export interface RouteOptions {
  rateLimit?: 'uploads' | 'exports';
  /**
   * For read-only routes a player calls many times a second (poses, video): the clip document may come
   * from a short per-process memory (lib/clips/doc-cache.ts, dropped on every change of the clip).
   */
  cachedClip?: boolean;
}

type Params = Record<string, string | string[] | undefined>;
export interface RouteContext<A extends Actor = Actor> {
  request: Request;
  actor: A;
  params: Params;
  /** the clip, for { clip } rules */
  clip: ClipDoc;
}

type Handler<A extends Actor> = (ctx: RouteContext<A>) => Promise<Response> | Response;
type ActorFor<R extends RouteRule> = R extends 'user' | 'admin' ? UserActor : R extends 'viewer' ? UserActor | ShareActor : Actor;

export type RouteHandler = ((request: Request, context?: { params?: Promise<Params> }) => Promise<Response>) & {
  rule: RouteRule;
};

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);


export function route<R extends RouteRule>(rule: R, handler: Handler<ActorFor<R>>, opts: RouteOptions = {}): RouteHandler {
  const fn = async (request: Request, context?: { params?: Promise<Params> }) => {
    const pathname = new URL(request.url).pathname;
    const name = `${request.method} ${pathname}`;
    const t0 = performance.now();
    const response = await handle(name, async () => {
      const params: Params = (await context?.params) ?? {};
      const actor = rule === 'public' ? await authenticate(request).catch(() => ANONYMOUS) : await authenticate(request).catch(unidentified);
      if (!SAFE.has(request.method) && actor.kind === 'user' && actor.via === 'session' && !fromOwnOrigin(request)) {
        throw new HttpError(403, 'Refused: a state-changing request signed in by cookie must come from this site (Origin check).');
      }
      let clip = null as unknown as ClipDoc;
      if (rule === 'user' || rule === 'admin') {
        if (actor.kind !== 'user') throw new HttpError(401, 'Sign in first (session cookie or Authorization: Bearer <API key>).');
        if (rule === 'admin' && actor.role !== 'admin') throw new HttpError(403, 'Only an admin of this server may do this.');
      } else if (rule === 'viewer') {
        if (actor.kind === 'anonymous') throw new HttpError(401, 'Sign in first, or open a share link.');
      } else if (typeof rule === 'object') {
        if (actor.kind === 'anonymous') throw new HttpError(401, 'Sign in first, or open a share link.');
        if (actor.kind === 'share' && !rule.share) throw new HttpError(401, 'A share link only shows its clip; sign in to do this.');
        const id = typeof params.id === 'string' ? params.id : '';
        clip = await requireClip(actor, rule.clip, id, opts.cachedClip && SAFE.has(request.method) ? getClipDocCached : undefined);
      }
      if (opts.rateLimit && actor.kind === 'user') {
        await (opts.rateLimit === 'uploads' ? countUpload : countExport)(actor.userId);
      }
      try {
        return await handler({ request, actor: actor as ActorFor<R>, params, clip });
      } finally {
        // a state change may end or change sessions (sign-out, deletion, role) or clips: nothing of before
        // it is served from this process's memory after it (other processes: lib/auth/session-cache.ts)
        if (!SAFE.has(request.method)) {
          forgetSessions();
          forgetClipDocs();
        }
      }
    });
    // time to the response headers (a video or event stream goes on after this), by route template
    const params: Params = (await context?.params?.catch(() => ({}))) ?? {};
    httpMetrics.observe(request.method, routeTemplate(pathname, params), response.status, (performance.now() - t0) / 1000);
    return response;
  };
  return Object.assign(fn, { rule });
}

/** The caller could not be identified because a backing service is down: 503 that says so. */
function unidentified(err: unknown): never {
  if (isMongoUnavailable(err) || /Mongo/.test(`${(err as Error)?.name} ${(err as Error)?.message}`)) {
    throw new HttpError(
      503,
      'The database (MongoDB) is not reachable right now, so the caller could not be checked: the request was not carried out and anything sent with it was not kept. Please try again in a moment.',
    );
  }
  throw err;
}

/** Reads a JSON object body (400 with a clear message otherwise). */
export async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new HttpError(400, 'Send a JSON object as the request body.');
}
