import { POST as authPost } from '../../app/api/auth/[...all]/route';
import type { UserActor } from '../../lib/auth/identity';
import { authenticate } from '../../lib/auth/identity';

/**
 * Real accounts for tests: sign-up goes through the real better-auth handler (the same route the app
 * mounts) against the test MongoDB, and requests carry the real session cookie or API key.
 */
export const ORIGIN = 'http://localhost';

export interface TestUser {
  email: string;
  password: string;
  cookie: string;
  actor: UserActor;
}

let counter = 0;

export function uniqueEmail(prefix = 'coach'): string {
  return `${prefix}-${Date.now().toString(36)}-${++counter}@example.test`;
}

/** The `name=value` part of each Set-Cookie header of a response. */
export function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .filter((c) => !/=$/.test(c))
    .join('; ');
}

export async function postAuth(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return authPost(
    new Request(`${ORIGIN}/api/auth${path}`, {
      method: 'POST',
      // each call from its own address unless the test says otherwise (per-address limits are tested on purpose)
      headers: { 'content-type': 'application/json', origin: ORIGIN, 'x-forwarded-for': `10.0.${(++counter >> 8) & 255}.${counter & 255}`, ...headers },
      body: JSON.stringify(body),
    }),
  );
}

/** Signs up (first account: admin; later ones need `invite` unless SIGNUP=open) and returns the session. */
export async function signUp(opts: { email?: string; password?: string; name?: string; invite?: string } = {}): Promise<TestUser> {
  const email = opts.email ?? uniqueEmail();
  const password = opts.password ?? 'correct horse battery';
  const res = await postAuth(`/sign-up/email${opts.invite ? `?invite=${encodeURIComponent(opts.invite)}` : ''}`, { email, password, name: opts.name ?? email.split('@')[0] });
  if (res.status !== 200) throw new Error(`sign-up of ${email} answered ${res.status}: ${await res.text()}`);
  const cookie = cookiesOf(res);
  const actor = await authenticate(new Request(`${ORIGIN}/`, { headers: { cookie } }));
  if (actor.kind !== 'user') throw new Error(`sign-up of ${email} gave no session (${cookie})`);
  return { email, password, cookie, actor };
}

export async function signIn(email: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return postAuth('/sign-in/email', { email, password }, headers);
}

/** A Request as a browser of this user sends it (cookie + our Origin on state changes). */
export function asUser(user: { cookie: string }, url: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  headers.set('cookie', user.cookie);
  if (init.method && !['GET', 'HEAD'].includes(init.method) && !headers.has('origin')) headers.set('origin', ORIGIN);
  return new Request(new URL(url, ORIGIN), { ...init, headers });
}

export const params = <T extends Record<string, string>>(p: T) => ({ params: Promise.resolve(p) });

let fileUser: Promise<TestUser> | null = null;
/**
 * One real account per test file (the file's first sign-up: the admin of its fresh database), for
 * tests of other features that now need a caller.
 */
export function testUser(): Promise<TestUser> {
  fileUser ??= signUp({ email: uniqueEmail('owner') }).catch((err) => {
    fileUser = null;
    throw err;
  });
  return fileUser;
}

export async function testOwner(): Promise<UserActor> {
  return (await testUser()).actor;
}

/** Adds a user's session cookie (and our Origin) to a Request built elsewhere, e.g. a streamed multipart upload. */
export function signedIn(request: Request, user: { cookie: string }): Request {
  request.headers.set('cookie', user.cookie);
  if (!['GET', 'HEAD'].includes(request.method)) request.headers.set('origin', ORIGIN);
  return request;
}
