import { expect, test } from './auth';
import { uniqueSample } from './samples';

test('a coach uploads a clip through the page and sees it processed without reloading', async ({ page }, testInfo) => {
  test.setTimeout(360_000);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Your clips' })).toBeVisible();

  // Count full page loads: the status must change live, not through a reload.
  let loads = 0;
  page.on('load', () => loads++);

  await page.getByTestId('upload-input').setInputFiles(uniqueSample());
  const bar = page.getByTestId('upload-progress');
  await expect(bar).toBeVisible();
  await expect(bar).toHaveAttribute('value', '100');
  await page.screenshot({ path: testInfo.outputPath('after-upload.png') });

  const row = page.locator('.clip-row', { hasText: 'two_people_jump.mp4' }).first();
  const status = row.getByTestId('clip-status');
  await expect(status).toHaveAttribute('data-status', /queued|processing/);
  // the row shows the job's live progress while it runs
  await expect(row.getByTestId('job-progress')).toBeVisible();
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 330_000 });
  expect(loads).toBe(0);
  await page.screenshot({ path: testInfo.outputPath('library-done.png') });

  // its page shows the metadata and the video
  await row.locator('a').click();
  await expect(page.getByText('230 frames')).toBeVisible();
  await expect(page.getByText('30 fps')).toBeVisible();
  await expect(page.getByTestId('video')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('clip-page.png') });
});

test('a file that is not a video is refused with a reason', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('upload-input').setInputFiles({ name: 'notes.mp4', mimeType: 'video/mp4', buffer: Buffer.from('this is just text, not a video\n'.repeat(50)) });
  await expect(page.locator('.upload-status [role="alert"]')).toContainText(/not a video|no video/i);
});
