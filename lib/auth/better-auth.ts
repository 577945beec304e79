import { betterAuth } from 'better-auth';
import { mongodbAdapter } from 'better-auth/adapters/mongodb';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import type { Db, MongoClient } from 'mongodb';
import { getMongoClient, getDb } from '../db';
import { HttpError } from '../upload';
import { AUTH_MODELS, ensureAuthIndexes, type Role } from './collections';
import { authSecret } from './secret';
import { afterUserCreated, checkSignupAllowed, claimSignup } from './signup';

/**
 * better-auth (email + password, sessions in MongoDB) on the product's own MongoClient.
 *
 * Passwords: better-auth's default hash, scrypt (N=16384, r=16, p=1: 32 MiB per hash, memory-hard),
 * salted, via node:crypto. Cookies: httpOnly, SameSite=Lax, Secure (and `__Secure-` prefixed) when the
 * origin is https. One instance per origin (PUBLIC_URL, or the request's scheme+host) so a plain-http
 * `npm start` on localhost and an https deployment both get the right cookie flags and origin checks;
 * better-auth's own rate limiter is off (ours in lib/auth/limits.ts uses Redis, shared by every process).
 */
function createAuth(client: MongoClient, db: Db, origin: string) {
  return betterAuth({
    appName: 'Motion Coach',
    baseURL: origin,
    basePath: '/api/auth',
    secret: authSecret(),
    // the embedded mongod is a standalone server: no multi-document transactions
    database: mongodbAdapter(db, { client, transaction: false }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 256, autoSignIn: true },
    user: {
      modelName: AUTH_MODELS.user,
      additionalFields: { role: { type: 'string', required: false, defaultValue: 'coach', input: false } },
    },
    session: { modelName: AUTH_MODELS.session, expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    account: { modelName: AUTH_MODELS.account },
    verification: { modelName: AUTH_MODELS.verification },
    rateLimit: { enabled: false },
    trustedOrigins: [origin],
    // our DELETE /api/account removes clips, files, shares and keys too
    disabledPaths: ['/delete-user', '/delete-user/callback'],
    advanced: {
      useSecureCookies: origin.startsWith('https://'),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-up/email') return;
        try {
          await checkSignupAllowed(inviteOf(ctx));
        } catch (err) {
          if (err instanceof HttpError) throw new APIError('FORBIDDEN', { message: err.message });
          throw err;
        }
      }),
    },
    databaseHooks: {
      user: {
        create: {
          before: async (user, ctx) => {
            try {
              const role = await claimSignup(user.email, ctx ? inviteOf(ctx) : null);
              return { data: { ...user, role } };
            } catch (err) {
              if (err instanceof HttpError) throw new APIError('FORBIDDEN', { message: err.message });
              throw err;
            }
          },
          after: async (user) => {
            await afterUserCreated(user.id, ((user as { role?: Role }).role ?? 'coach') as Role);
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;

function inviteOf(ctx: { query?: Record<string, unknown>; request?: Request }): string | null {
  const q = ctx.query?.invite;
  if (typeof q === 'string' && q) return q;
  if (ctx.request) return new URL(ctx.request.url).searchParams.get('invite');
  return null;
}

const instances = new WeakMap<MongoClient, Map<string, Auth>>();
const MAX_ORIGINS = 16;

/** The better-auth instance for an origin (see requestOrigin), on the current MongoClient. */
export async function getAuth(origin: string): Promise<Auth> {
  const client = await getMongoClient();
  const db = await getDb(); // the product's database, on the same client
  await ensureAuthIndexes();
  let byOrigin = instances.get(client);
  if (!byOrigin) instances.set(client, (byOrigin = new Map()));
  let auth = byOrigin.get(origin);
  if (!auth) {
    // a flood of made-up Host headers must not grow memory without end
    if (byOrigin.size >= MAX_ORIGINS) byOrigin.delete(byOrigin.keys().next().value!);
    auth = createAuth(client, db, origin);
    byOrigin.set(origin, auth);
  }
  return auth;
}
