import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { getConfig } from '../config';
import { sharedRedis } from '../redis';
import { HttpError } from '../upload';

/**
 * Rate limits in Redis (rate-limiter-flexible), so every web process counts together:
 *  - sign-in: failed attempts per account (email) and per address, 15-minute window; once a window is
 *    used up every attempt is refused with 429, a right password included, until it ends
 *  - sign-up: accounts created per address per hour
 *  - uploads, exports: requests per account per hour
 * Limits are config (lib/config.ts rateLimits; 0 = off). While Redis is down an in-process counter
 * takes over (insurance limiter), so an outage neither opens the gate nor blocks every upload.
 */
export class RateLimitedError extends HttpError {
  readonly headers: Record<string, string>;
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(429, message);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

type LimitName = 'signInAccount' | 'signInAddress' | 'signUpAddress' | 'uploads' | 'exports';
const WINDOWS: Record<LimitName, number> = {
  signInAccount: 15 * 60,
  signInAddress: 15 * 60,
  signUpAddress: 60 * 60,
  uploads: 60 * 60,
  exports: 60 * 60,
};

function pointsFor(name: LimitName): number {
  const r = getConfig().rateLimits;
  return { signInAccount: r.signInPerAccount, signInAddress: r.signInPerAddress, signUpAddress: r.signUpPerAddress, uploads: r.uploadsPerAccount, exports: r.exportsPerAccount }[name];
}

const limiters = new Map<string, RateLimiterAbstract>();
function limiter(name: LimitName): RateLimiterAbstract | null {
  const points = pointsFor(name);
  if (!points) return null;
  const id = `${name}:${points}`;
  let l = limiters.get(id);
  if (!l) {
    const opts = { keyPrefix: `mc:rl:${name}`, points, duration: WINDOWS[name] };
    l = new RateLimiterRedis({
      ...opts,
      storeClient: sharedRedis(),
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(opts),
    });
    limiters.set(id, l);
  }
  return l;
}

const retryAfter = (res: RateLimiterRes | null) => Math.max(1, Math.ceil((res?.msBeforeNext ?? 1000) / 1000));

/** Counts one request; 429 when the window's allowance is used up. */
async function consume(name: LimitName, key: string, message: string): Promise<void> {
  const l = limiter(name);
  if (!l) return;
  try {
    await l.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw new RateLimitedError(message, retryAfter(err));
    throw err;
  }
}

/** Refuses while the window's allowance is used up, without counting. */
async function refuseIfSpent(name: LimitName, key: string, message: string): Promise<void> {
  const l = limiter(name);
  if (!l) return;
  const res = await l.get(key).catch(() => null);
  if (res && res.consumedPoints >= pointsFor(name)) throw new RateLimitedError(message, retryAfter(res));
}

const TOO_MANY_SIGNINS = 'Too many failed sign-in attempts; wait before trying again.';

export function normalizeEmail(email: unknown): string {
  return typeof email === 'string' ? email.trim().toLowerCase() : '';
}

/** Before a sign-in is checked: 429 while this account or this address has used up its failures. */
export async function signInAllowed(email: string, address: string): Promise<void> {
  if (email) await refuseIfSpent('signInAccount', email, TOO_MANY_SIGNINS);
  await refuseIfSpent('signInAddress', address, TOO_MANY_SIGNINS);
}

/** After a refused sign-in: one failure more for the account and for the address. */
export async function signInFailed(email: string, address: string): Promise<void> {
  await Promise.all([
    email ? consume('signInAccount', email, TOO_MANY_SIGNINS).catch(ignoreLimit) : null,
    consume('signInAddress', address, TOO_MANY_SIGNINS).catch(ignoreLimit),
  ]);
}
const ignoreLimit = (err: unknown) => {
  if (!(err instanceof RateLimitedError)) throw err;
};

const TOO_MANY_SIGNUPS = 'Too many sign-ups from this address; wait before trying again.';

/** Before a sign-up: 429 while this address has used up its accounts for the hour. */
export function signUpAllowed(address: string): Promise<void> {
  return refuseIfSpent('signUpAddress', address, TOO_MANY_SIGNUPS);
}

/** After an account was created from this address. */
export async function countSignUp(address: string): Promise<void> {
  await consume('signUpAddress', address, TOO_MANY_SIGNUPS).catch(ignoreLimit);
}

export function countUpload(userId: string): Promise<void> {
  return consume('uploads', userId, 'Too many uploads from this account in the last hour; wait before uploading more.');
}

export function countExport(userId: string): Promise<void> {
  return consume('exports', userId, 'Too many exports from this account in the last hour; wait before exporting more.');
}

/** Removes an account's counters (account deletion). */
export async function forgetLimits(userId: string, email: string): Promise<void> {
  await sharedRedis().del(`mc:rl:uploads:${userId}`, `mc:rl:exports:${userId}`, `mc:rl:signInAccount:${normalizeEmail(email)}`).catch(() => {});
}
