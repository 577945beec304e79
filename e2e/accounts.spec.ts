/**
 * Accounts and share links (issue 12) in Chromium against the real apps: the admin (signed up by
 * e2e/global-setup.ts) invites a coach through the admin page; the coach signs up through the invite
 * link, uploads, and shares the clip; the link opens the player ONLY, in a browser with no account;
 * after revoking, the link shows the revoked page. Screenshots of every page land in test-results/.
 */
import type { Page } from '@playwright/test';
import { expect, sameOrigin, signedOutContext, test, watchCsp } from './auth';
import { uniqueSample } from './samples';
import type { PlayerWindow } from './playerPage';

const phalp = () => process.env.E2E_PHALP_URL!;
const cpu = () => process.env.E2E_CPU_URL!;

async function playerPlays(page: Page) {
  await page.waitForFunction(() => (window as unknown as PlayerWindow).__player?.loaded() && ((window as unknown as PlayerWindow).__playerStats?.renders ?? 0) > 0, null, { timeout: 60_000 });
  await page.waitForFunction(() => (document.querySelector('[data-testid=video]') as HTMLVideoElement).readyState >= 2, null, { timeout: 60_000 });
  const before = await page.evaluate(() => (window as unknown as PlayerWindow).__player.frame());
  await page.getByTestId('play-toggle').click();
  await expect.poll(() => page.evaluate(() => (window as unknown as PlayerWindow).__player.frame()), { timeout: 20_000 }).toBeGreaterThan(before + 5);
  await page.getByTestId('play-toggle').click();
}

test('signed out, every page of the app leads to the sign-in page', async ({ browser }, testInfo) => {
  const context = await signedOutContext(browser);
  const csp = watchCsp(context);
  const page = await context.newPage();
  for (const path of ['/', '/clips/0123456789abcdef01234567', '/account', '/admin']) {
    await page.goto(`${cpu()}${path}`);
    await expect(page, `${path} while signed out`).toHaveURL(/\/sign-in(\?|$)/);
  }
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // nothing of the app is linked for a stranger
  await expect(page.getByRole('link', { name: 'Library' })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('sign-in.png') });

  // a wrong password is refused with a clear message
  await page.getByLabel('Email').fill('admin@e2e.example.com');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('form', { name: 'Sign in' }).getByRole('alert')).toContainText(/wrong email or password/i);

  // sign-up without an invite: the server is invite-only by default, and says so
  await page.goto(`${cpu()}/sign-up`);
  await expect(page.getByTestId('signup-needs-invite')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('sign-up-needs-invite.png') });
  expect(csp).toEqual([]);
  await context.close();
});

test('invite -> sign up -> upload -> share link plays in a browser without an account -> revoked link shows the revoked page', async ({ page, browser, request }, testInfo) => {
  test.setTimeout(300_000);
  const coach = { name: 'Coach Kim', email: `coach-${Date.now()}@e2e.example.com`, password: 'coach password 123' };

  // the admin invites a coach from the admin page
  await page.goto(`${phalp()}/admin`);
  await expect(page.getByTestId('system-status').getByTestId('health-ok')).toHaveAttribute('data-ok', 'true');
  await page.getByRole('textbox', { name: 'Email of the invited coach' }).fill(coach.email);
  await page.getByTestId('invite-create').click();
  const inviteUrl = await page.getByTestId('invite-url').inputValue();
  expect(inviteUrl).toMatch(/\/sign-up\?invite=/);
  await expect(page.getByTestId('invite-list')).toContainText(coach.email);
  await page.screenshot({ path: testInfo.outputPath('admin.png'), fullPage: true });

  // the coach signs up through the link, in a browser of their own
  const coachContext = await signedOutContext(browser);
  const coachCsp = watchCsp(coachContext);
  const coachPage = await coachContext.newPage();
  await coachPage.goto(inviteUrl);
  await expect(coachPage.getByTestId('first-account')).toHaveCount(0);
  await coachPage.getByLabel('Name').fill(coach.name);
  await coachPage.getByLabel('Email').fill(coach.email);
  await coachPage.getByLabel(/^Password \(at least/).fill(coach.password);
  await coachPage.getByLabel('Password again').fill(coach.password);
  await coachPage.screenshot({ path: testInfo.outputPath('sign-up-invited.png') });
  await coachPage.getByRole('button', { name: 'Create account' }).click();
  await expect(coachPage.getByRole('heading', { name: 'Your clips' })).toBeVisible();
  await expect(coachPage.getByTestId('signed-in-as')).toHaveText(coach.email);
  // a coach is no admin
  await expect(coachPage.getByRole('link', { name: 'Admin' })).toHaveCount(0);

  // the invite was single-use
  const again = await coachContext.request.post(`${phalp()}/api/auth/sign-up/email?invite=${new URL(inviteUrl).searchParams.get('invite')}`, {
    data: { name: 'Someone', email: `other-${Date.now()}@e2e.example.com`, password: 'another password 1' },
    headers: sameOrigin(phalp()),
  });
  expect(again.ok()).toBe(false);

  // upload, wait for the player
  await coachPage.getByTestId('upload-input').setInputFiles(uniqueSample());
  const row = coachPage.locator('.clip-row', { hasText: 'two_people_jump.mp4' }).first();
  await row.locator('a').click();
  await expect(coachPage.getByTestId('viewer-canvas')).toBeVisible({ timeout: 120_000 });
  const clipId = new URL(coachPage.url()).pathname.split('/').pop()!;

  // share it for 7 days
  const panel = coachPage.getByTestId('share-panel');
  await panel.getByTestId('share-expiry').selectOption('7');
  await panel.getByTestId('share-create').click();
  const shareUrl = await panel.getByTestId('share-url').inputValue();
  expect(shareUrl).toMatch(/\/s\/[^/]+$/);
  await expect(panel.getByTestId('share-list').locator('tbody tr')).toHaveCount(1);
  await panel.scrollIntoViewIfNeeded();
  await coachPage.screenshot({ path: testInfo.outputPath('clip-share-panel.png'), fullPage: true });

  // the athlete: no account, only the link
  const athlete = await signedOutContext(browser);
  const athleteCsp = watchCsp(athlete);
  const viewer = await athlete.newPage();
  await viewer.goto(shareUrl);
  await playerPlays(viewer);
  await expect(viewer.getByRole('button', { name: 'Delete' })).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: /retry|cancel/i })).toHaveCount(0);
  await expect(viewer.getByRole('link', { name: /library/i })).toHaveCount(0);
  await expect(viewer.getByRole('link', { name: /account|admin/i })).toHaveCount(0);
  await expect(viewer.getByTestId('share-panel')).toHaveCount(0);
  // the filename is the coach's business, not shown to the link's holder
  await expect(viewer.getByText('two_people_jump.mp4')).toHaveCount(0);
  await viewer.screenshot({ path: testInfo.outputPath('share-viewer.png'), fullPage: true });

  // the link reaches this clip only: not the library, not another clip (the admin's), not the app's pages
  const other = await request.post(`${phalp()}/api/clips`, { multipart: { file: uniqueSample() }, headers: sameOrigin(phalp()) });
  expect(other.status(), await other.text()).toBe(201);
  const otherId = ((await other.json()) as { id: string }).id;
  const token = new URL(shareUrl).pathname.split('/').pop()!;
  for (const path of [`/api/clips/${otherId}`, `/api/clips/${otherId}/video`, `/api/clips/${otherId}/poses`]) {
    const res = await athlete.request.get(`${phalp()}${path}?share=${token}`);
    expect(res.status(), path).toBe(404);
  }
  expect((await athlete.request.get(`${phalp()}/api/clips?share=${token}`)).ok()).toBe(false);
  expect((await athlete.request.get(`${phalp()}/api/clips/${clipId}?share=${token}`)).status()).toBe(200);
  await viewer.goto(`${phalp()}/clips/${otherId}`);
  await expect(viewer).toHaveURL(/\/sign-in/);
  await viewer.goto(`${phalp()}/`);
  await expect(viewer).toHaveURL(/\/sign-in/);
  await request.delete(`${phalp()}/api/clips/${otherId}`, { headers: sameOrigin(phalp()) });

  // the coach sees the link's last use, then revokes it
  await coachPage.reload();
  const shareRow = coachPage.getByTestId('share-list').locator('tbody tr').first();
  await expect(shareRow.locator('td').nth(2)).not.toHaveText('never');
  coachPage.once('dialog', (d) => d.accept());
  await shareRow.getByRole('button', { name: 'Revoke' }).click();
  await expect(shareRow).toHaveAttribute('data-live', 'false');

  await viewer.goto(shareUrl);
  await expect(viewer.getByTestId('share-refused')).toHaveAttribute('data-reason', 'revoked');
  await expect(viewer.getByRole('heading', { name: 'This link was revoked' })).toBeVisible();
  await expect(viewer.getByTestId('viewer-canvas')).toHaveCount(0);
  expect((await athlete.request.get(`${phalp()}/api/clips/${clipId}/video?share=${token}`)).ok()).toBe(false);
  await viewer.screenshot({ path: testInfo.outputPath('share-revoked.png') });

  // an unknown token gets a page that says so
  await viewer.goto(`${phalp()}/s/not-a-real-token`);
  await expect(viewer.getByTestId('share-refused')).toHaveAttribute('data-reason', 'unknown');

  expect(coachCsp).toEqual([]);
  expect(athleteCsp).toEqual([]);
  await athlete.close();
  await coachContext.close();
});

test('account page: an API key is shown once, works as a Bearer token, and stops working when revoked', async ({ page, playwright }, testInfo) => {
  await page.goto(`${cpu()}/account`);
  await expect(page.getByRole('heading', { name: 'Account', exact: true })).toBeVisible();
  await page.getByRole('textbox', { name: 'Key name' }).fill('e2e script');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = await page.getByTestId('new-api-key').getByRole('textbox').inputValue();
  expect(key.length).toBeGreaterThan(20);
  await expect(page.getByTestId('api-key-list')).toContainText('e2e script');
  await page.screenshot({ path: testInfo.outputPath('account.png'), fullPage: true });

  // a script with the key and no cookie
  const script = await playwright.request.newContext({ storageState: { cookies: [], origins: [] } });
  expect((await script.get(`${cpu()}/api/clips`, { headers: { authorization: `Bearer ${key}` } })).status()).toBe(200);
  expect((await script.get(`${cpu()}/api/clips`)).status()).toBe(401);

  // shown once: after a reload only its prefix is listed
  await page.reload();
  await expect(page.getByTestId('new-api-key')).toHaveCount(0);
  await expect(page.getByText(key)).toHaveCount(0);
  const keyRow = page.getByTestId('api-key-list').locator('tbody tr', { hasText: 'e2e script' });
  page.once('dialog', (d) => d.accept());
  await keyRow.getByRole('button', { name: 'Revoke' }).click();
  await expect(keyRow).toHaveCount(0);
  expect((await script.get(`${cpu()}/api/clips`, { headers: { authorization: `Bearer ${key}` } })).status()).toBe(401);
  await script.dispose();
});
