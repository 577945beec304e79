import { cookies, headers } from 'next/headers';
import { ANONYMOUS, authenticate, type Actor } from './identity';

/**
 * The caller of a server component (page, layout): the same identity rules as the API routes, read
 * from the incoming request's cookies and headers. Pages see only signed-in users here (share pages
 * use actorForShareToken with the token from their URL).
 */
export async function currentActor(): Promise<Actor> {
  const h = await headers();
  const c = await cookies();
  const host = h.get('host') ?? 'localhost';
  const proto = h.get('x-forwarded-proto')?.split(',')[0]?.trim() || 'http';
  const forwarded = new Headers();
  for (const name of ['cookie', 'authorization', 'host', 'x-forwarded-proto', 'x-forwarded-for', 'user-agent']) {
    const v = h.get(name);
    if (v) forwarded.set(name, v);
  }
  if (!forwarded.has('cookie') && c.size) forwarded.set('cookie', c.toString());
  try {
    const actor = await authenticate(new Request(`${proto}://${host}/`, { headers: forwarded }));
    return actor.kind === 'user' ? actor : ANONYMOUS;
  } catch {
    // a page must still render (e.g. the sign-in page) while MongoDB is unreachable
    return ANONYMOUS;
  }
}
