import { getDb } from '../db';
import { errorJson } from '../http/respond';
import { getAuth } from './better-auth';
import { countSignUp, normalizeEmail, signInAllowed, signInFailed, signUpAllowed } from './limits';
import { clientAddress, requestOrigin } from './origin';

/**
 * /api/auth/* : better-auth's handler, with our Redis rate limits around the two endpoints a guesser
 * or a spammer uses. A sign-in is refused with 429 (before the password is even checked) while the
 * account or the address has used up its failures; each refused sign-in counts one failure. Sign-ups
 * count per address once an account was created.
 */
export async function authEndpoint(request: Request): Promise<Response> {
  const auth = await getAuth(requestOrigin(request));
  const path = new URL(request.url).pathname;
  const address = clientAddress(request);
  let res: Response;
  if (request.method === 'POST' && path.endsWith('/sign-in/email')) {
    const email = normalizeEmail((await request.clone().json().catch(() => ({})))?.email);
    await signInAllowed(email, address);
    res = await auth.handler(request);
    if (res.status === 401 || res.status === 403) await signInFailed(email, address);
  } else if (request.method === 'POST' && path.endsWith('/sign-up/email')) {
    await signUpAllowed(address);
    res = await auth.handler(request);
    if (res.ok) await countSignUp(address);
  } else {
    res = await auth.handler(request);
  }
  return res.status >= 500 ? explainServerError(res) : res;
}

/** better-auth answers 500 when its database is down: say 503 and what is down, as every other route does. */
async function explainServerError(res: Response): Promise<Response> {
  const reachable = await (async () => {
    try {
      await (await getDb()).command({ ping: 1 }, { timeoutMS: 2000 });
      return true;
    } catch {
      return false;
    }
  })();
  if (reachable) return res;
  return errorJson(503, 'The account database (MongoDB) is not reachable right now; please try again in a moment.');
}
