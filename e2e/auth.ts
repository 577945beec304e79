/**
 * Accounts in the browser tests. Every Playwright app is fresh (its own DATA_DIR): e2e/global-setup.ts
 * signs up its first account — the admin — through the HTTP API and saves both apps' sessions in one
 * storage state (playwright.config.ts `use.storageState`), so EVERY page, context and `request` of every
 * spec starts signed in as that admin on both apps (the apps differ by host name: 127.0.0.1 and
 * localhost, so their cookies do not collide).
 *
 * Specs import `test`/`expect` from here: same as @playwright/test's, plus a check that no page broke
 * the Content-Security-Policy (next.config.mjs, proxy.ts) — a violation fails the test.
 */
import { test as base, expect, type APIRequestContext, type Browser, type BrowserContext } from '@playwright/test';

export { expect };

/** The admin of every e2e app (the first account on a fresh install). */
export const ADMIN = { name: 'E2E Admin', email: 'admin@e2e.example.com', password: 'e2e admin password 1' };

/**
 * Headers for a state-changing API call from a test's `request`: a cookie-authenticated POST/DELETE must
 * come from the app's own origin (CSRF check), and Playwright's API client sends no Origin by itself.
 */
export function sameOrigin(baseURL: string): Record<string, string> {
  return { origin: new URL(baseURL).origin };
}

/** Signs up through the HTTP API (better-auth's path); the context keeps the session cookie. */
export async function signUp(request: APIRequestContext, baseURL: string, user: { name: string; email: string; password: string }, invite?: string) {
  const url = `${baseURL}/api/auth/sign-up/email${invite ? `?invite=${encodeURIComponent(invite)}` : ''}`;
  return request.post(url, { data: user, headers: sameOrigin(baseURL) });
}

export async function signIn(request: APIRequestContext, baseURL: string, user: { email: string; password: string }) {
  return request.post(`${baseURL}/api/auth/sign-in/email`, { data: { email: user.email, password: user.password }, headers: sameOrigin(baseURL) });
}

/** A browser context with NO session: a stranger, or an athlete who was sent a share link. */
export function signedOutContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ storageState: { cookies: [], origins: [] } });
}

/** Collects Content-Security-Policy violations reported by Chromium in a context's pages. */
export function watchCsp(context: BrowserContext): string[] {
  const violations: string[] = [];
  context.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(`${msg.location().url}: ${msg.text()}`);
  });
  context.on('weberror', (err) => {
    if (/Content Security Policy/i.test(err.error().message)) violations.push(err.error().message);
  });
  return violations;
}

export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ context }, use) => {
      const violations = watchCsp(context);
      await use(violations);
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});
