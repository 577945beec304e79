/**
 * Export (issue 10) from the clip page's Download menu, in Debian's Chromium against the real CPU app:
 * set the loop In–Out in the player, choose one athlete, and download every format; each file is named
 * after what it holds and holds exactly the loop's frames of that athlete (checked against the frames API).
 * The MP4 is rendered by the app's worker: the menu shows the render's progress, then offers the file,
 * whose frames and timestamps (ffprobe) are the playable copy's for the loop.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect, test } from './auth';
import { createDoneClip, openPlayer, seekAndSettle } from './playerPage';

interface ApiFrames { frames: { frame_number: number; persons: { track_id: number }[] }[] }

function framePts(file: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts', '-of', 'json', file]).toString();
  return (JSON.parse(out).frames as { pts: number }[]).map((f) => f.pts);
}

test('Download menu: every format for the loop range and one athlete', async ({ page, request, baseURL }) => {
  test.setTimeout(300_000); // the MP4 render runs on the app's worker, next to the other tests' jobs
  const id = await createDoneClip(request, baseURL!);
  await openPlayer(page, baseURL!, id);
  const [IN, OUT] = [10, 40];
  // the player's keyboard marks ([ and ]), as e2e/analysis.spec.ts sets them
  await seekAndSettle(page, IN);
  await page.locator('body').press('[');
  await seekAndSettle(page, OUT);
  await page.locator('body').press(']');
  await expect(page.getByRole('button', { name: /^Out/ })).toHaveText(`Out ${OUT} ]`);

  const api = (await (await request.get(`${baseURL}/api/clips/${id}/frames?from=${IN}&to=${OUT}`)).json()) as ApiFrames;
  const tracks = [...new Set(api.frames.flatMap((f) => f.persons.map((p) => p.track_id)))].sort((a, b) => a - b);
  expect(tracks.length).toBeGreaterThan(0);
  const athlete = tracks[0];
  const personFrames = api.frames.filter((f) => f.persons.some((p) => p.track_id === athlete)).length;

  const menu = page.getByTestId('download-menu');
  await menu.locator('summary').click();
  await expect(menu.getByTestId('download-range-loop')).toBeEnabled();
  await menu.getByTestId('download-range-loop').check();
  for (const t of await menu.locator('[data-testid^=download-athlete-]').all()) {
    const tid = Number((await t.getAttribute('data-testid'))!.replace('download-athlete-', ''));
    if (tid === athlete) await t.check();
    else await t.uncheck();
  }
  await menu.getByTestId('download-raw').check();

  for (const [format, ext] of [['csv', 'csv'], ['json', 'json'], ['bvh', 'bvh'], ['glb', 'glb']] as const) {
    await menu.getByTestId('download-format').selectOption(format);
    const link = menu.getByTestId('download-link');
    const href = (await link.getAttribute('href'))!;
    expect(href).toContain(`format=${format}`);
    expect(href).toContain(`from=${IN}&to=${OUT}`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`two_people_jump_frames-${IN}-${OUT}_athlete-${athlete}.${ext}`);
    const file = fs.readFileSync((await download.path())!);
    if (format === 'csv') expect(file.toString('utf8').trimEnd().split('\r\n').length).toBe(1 + personFrames);
    if (format === 'json') {
      const doc = JSON.parse(file.toString('utf8')) as ApiFrames & { from: number; to: number };
      expect([doc.from, doc.to, doc.frames.length]).toEqual([IN, OUT, OUT - IN + 1]);
      expect(doc.frames.flatMap((f) => f.persons.map((p) => p.track_id)).every((t) => t === athlete)).toBe(true);
    }
    if (format === 'bvh') expect(file.toString('utf8')).toContain(`\nFrames: ${OUT - IN + 1}\n`);
    if (format === 'glb') expect(file.subarray(0, 4).toString()).toBe('glTF');
  }

  // MP4: the worker renders it; progress first, then the file
  await menu.getByTestId('download-format').selectOption('mp4');
  await menu.getByTestId('mp4-render').click();
  await expect(menu.getByTestId('mp4-progress')).toBeVisible();
  const link = menu.getByTestId('download-link');
  await expect(link).toBeVisible({ timeout: 240_000 });
  const href = (await link.getAttribute('href'))!;
  expect(href).toContain(`format=mp4&from=${IN}&to=${OUT}&tracks=${athlete}`);
  expect(href).toContain('angles=');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe(`two_people_jump_frames-${IN}-${OUT}_athlete-${athlete}.mp4`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-mp4-'));
  try {
    const playable = path.join(dir, 'playable.mp4');
    fs.writeFileSync(playable, await (await request.get(`${baseURL}/api/clips/${id}/video`)).body());
    const all = framePts(playable);
    expect(framePts((await download.path())!)).toEqual(all.slice(IN, OUT + 1).map((p) => p - all[IN] + all[0]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
