import { request, type FullConfig } from '@playwright/test';
import { ADMIN, signIn, signUp } from './auth';

/**
 * Signs up the first account (it becomes the admin) on each e2e app through the HTTP API, and saves
 * both sessions to the storage state every test starts from (playwright.config.ts). Runs after the
 * web servers are up. On an app that already has its admin (a reused E2E_RUN_ID) it signs in instead.
 */
export default async function globalSetup(_config: FullConfig) {
  const state = process.env.E2E_AUTH_STATE!;
  const context = await request.newContext();
  try {
    for (const baseURL of [process.env.E2E_CPU_URL!, process.env.E2E_PHALP_URL!]) {
      const me = (await (await context.get(`${baseURL}/api/me`)).json()) as { firstAccount: boolean };
      const res = me.firstAccount ? await signUp(context, baseURL, ADMIN) : await signIn(context, baseURL, ADMIN);
      if (!res.ok()) throw new Error(`e2e setup: ${me.firstAccount ? 'sign-up' : 'sign-in'} of the admin on ${baseURL} answered ${res.status()}: ${await res.text()}`);
      const check = (await (await context.get(`${baseURL}/api/me`)).json()) as { user: { role: string } | null };
      if (check.user?.role !== 'admin') throw new Error(`e2e setup: the first account on ${baseURL} is not the admin: ${JSON.stringify(check)}`);
    }
    await context.storageState({ path: state });
  } finally {
    await context.dispose();
  }
}
