import { expect, test } from '@playwright/test';
import path from 'node:path';

/**
 * The PHALP path through the page: the app started with PHALP_DIR at the TEST DOUBLE of track.py
 * (test/fixtures/phalp-double; see playwright.config.ts). Its rich progress bar must reach the clip page
 * live (stage "Tracking bodies", rising percent, log lines), then the finished clip shows its stats.
 */
const SAMPLE = path.resolve('../shared/samples/video/two_people_jump.mp4');

test.use({ baseURL: process.env.E2E_PHALP_URL });

test('upload with PHALP: tracking progress moves live, then the clip shows its stats', async ({ page, request }, testInfo) => {
  await page.goto('/');
  await page.getByTestId('upload-input').setInputFiles(SAMPLE);
  const row = page.locator('.clip-row').first();
  await expect(row).toBeVisible({ timeout: 60_000 });
  await row.locator('a').click();

  const progress = page.getByTestId('job-progress');
  // watch the tracking stage: PHALP's own percent moves the bar (the double runs at PHALP_DOUBLE_FPS)
  await expect(page.getByText('Tracking bodies', { exact: false }).first()).toBeVisible({ timeout: 150_000 });
  const seen = new Set<number>();
  const until = Date.now() + 60_000;
  while (Date.now() < until && seen.size < 3) {
    const v = await progress.getAttribute('value').catch(() => null);
    if (v === null) break; // done already
    seen.add(Math.round(Number(v) * 100));
    await page.waitForTimeout(150);
  }
  await page.screenshot({ path: testInfo.outputPath('phalp-tracking.png') });
  expect(seen.size).toBeGreaterThanOrEqual(3);

  await expect(page.getByTestId('clip-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const stats = page.getByTestId('clip-stats');
  await expect(stats).toBeVisible();
  await expect(page.getByText('pose by PHALP')).toBeVisible();
  // the double's two-person scene: two tracks, one of them held after it leaves the picture
  await expect(stats.locator('tbody tr')).toHaveCount(2);
  const id = page.url().split('/').pop()!;
  const clip = await (await request.get(`/api/clips/${id}`)).json();
  expect(clip.runner).toBe('phalp');
  expect(clip.stats.tracks.some((t: { held: number }) => t.held > 0)).toBe(true);
  await page.screenshot({ path: testInfo.outputPath('phalp-done.png'), fullPage: true });
});
