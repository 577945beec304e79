/**
 * The benches that drive a running app need an account (issue 12): on a fresh app (no account yet) the
 * bench signs up its first account; otherwise it signs in with BENCH_EMAIL / BENCH_PASSWORD (defaults
 * below, which is what a fresh app's bench account gets).
 */
export const BENCH_USER = {
  name: 'Bench',
  email: process.env.BENCH_EMAIL ?? 'bench@bench.example.com',
  password: process.env.BENCH_PASSWORD ?? 'bench password 1',
};

/** Headers for the app's API: the session cookie, and our Origin (cookie-authenticated POST/DELETE need it: CSRF check). */
export interface AppSession {
  headers: { cookie: string; origin: string };
}

export async function benchSession(appUrl: string): Promise<AppSession> {
  const origin = new URL(appUrl).origin;
  const me = (await (await fetch(`${appUrl}/api/me`)).json()) as { firstAccount: boolean };
  const path = me.firstAccount ? 'sign-up/email' : 'sign-in/email';
  const res = await fetch(`${appUrl}/api/auth/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify(me.firstAccount ? BENCH_USER : { email: BENCH_USER.email, password: BENCH_USER.password }),
  });
  if (!res.ok)
    throw new Error(
      `bench ${path} as ${BENCH_USER.email} on ${appUrl} answered ${res.status}: ${(await res.text()).slice(0, 200)} ` +
        '(on an app that has accounts, set BENCH_EMAIL and BENCH_PASSWORD to an existing one)',
    );
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { headers: { cookie, origin } };
}

/** The session's cookies for a Playwright browser context on `appUrl`. */
export function sessionCookies(appUrl: string, session: AppSession) {
  return session.headers.cookie.split('; ').map((pair) => {
    const i = pair.indexOf('=');
    return { name: pair.slice(0, i), value: pair.slice(i + 1), url: new URL(appUrl).origin };
  });
}
