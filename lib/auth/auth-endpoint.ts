import { getAuth } from './better-auth';
import { countSignUp, normalizeEmail, signInAllowed, signInFailed, signUpAllowed } from './limits';
import { clientAddress, requestOrigin } from './origin';

/**
 * /api/auth/* : better-auth's handler, with our Redis rate limits around the two endpoints a guesser
 * or a spammer uses. A sign-in is refused with 429 (before the password is even checked) while the
 * account or the address has used up its failures; each refused sign-in counts one failure.
 */
export async function authEndpoint(request: Request): Promise<Response> {
  const auth = await getAuth(requestOrigin(request));
  const path = new URL(request.url).pathname;
  const address = clientAddress(request);
  if (request.method === 'POST' && path.endsWith('/sign-in/email')) {
    const email = normalizeEmail((await request.clone().json().catch(() => ({})))?.email);
    await signInAllowed(email, address);
    const res = await auth.handler(request);
    if (res.status === 401 || res.status === 403) await signInFailed(email, address);
    return res;
  }
  if (request.method === 'POST' && path.endsWith('/sign-up/email')) {
    await signUpAllowed(address);
    const res = await auth.handler(request);
    if (res.ok) await countSignUp(address);
    return res;
  }
  return auth.handler(request);
}
