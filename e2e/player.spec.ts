/**
 * The player (issue 6), in Debian's Chromium against the real apps of playwright.config.ts:
 * the CPU app (skeletons from the built-in pose model) and the PHALP app (the PHALP TEST DOUBLE and a
 * generated stand-in body model: meshes, held/missing frames, camera projection).
 * Clips are created through the real upload API and processed by the real worker.
 */
import { type Page } from '@playwright/test';
import fs from 'node:fs';

import { expect, test } from './auth';
import { countColouredPixels, createDoneClip, differingPixels, openPlayer, seekAndSettle, settle, type PlayerWindow } from './playerPage';
import { uniqueSample } from './samples';

const TRACK1 = [0x4c, 0xc9, 0xf0] as [number, number, number]; // trackColor(1), lib/viewer/colors.ts

async function shot(page: Page, testInfo: import('@playwright/test').TestInfo, name: string): Promise<Buffer> {
  const png = await page.getByTestId('viewer-canvas').screenshot();
  await testInfo.attach(name, { body: png, contentType: 'image/png' });
  fs.writeFileSync(testInfo.outputPath(name), png);
  return png;
}

/** A frame where track `id` is detected (from the stored data as served to the page). */
async function detectedFrame(page: Page, id: number, near: number): Promise<number> {
  return page.evaluate(({ id, near }) => {
    const strip = document.querySelector(`[data-testid=coverage-strip][data-track="${id}"]`)!;
    const runs = [...strip.querySelectorAll('[data-state=detected]')].map((r) => [Number((r as HTMLElement).dataset.from), Number((r as HTMLElement).dataset.to)]);
    let best = -1;
    for (const [a, b] of runs) for (let f = a; f <= b; f++) if (best < 0 || Math.abs(f - near) < Math.abs(best - near)) best = f;
    return best;
  }, { id, near });
}

test.describe.serial('player with CPU results (skeletons)', () => {
  let id = '';
  const base = () => process.env.E2E_CPU_URL!;

  test.beforeAll(async ({ request }) => {
    id = await createDoneClip(request, base());
  });

  test('the 3D view draws the body in the track colour, and two frames give different images', async ({ page }, testInfo) => {
    await openPlayer(page, base(), id);
    const a = await detectedFrame(page, 1, 40);
    expect(a).toBeGreaterThanOrEqual(0);
    await seekAndSettle(page, a);
    const pngA = await shot(page, testInfo, `cpu-3d-frame-${a}.png`);
    expect(await countColouredPixels(page, pngA, TRACK1)).toBeGreaterThan(150);
    const b = await detectedFrame(page, 1, 170);
    await seekAndSettle(page, b);
    const pngB = await shot(page, testInfo, `cpu-3d-frame-${b}.png`);
    expect(await differingPixels(page, pngA, pngB)).toBeGreaterThan(200);
    await page.screenshot({ path: testInfo.outputPath('cpu-player.png') });
  });

  test('arrow keys move exactly one frame (shift: ten) and the video shows the counter frame', async ({ page }) => {
    await openPlayer(page, base(), id);
    await seekAndSettle(page, 50);
    await page.locator('body').press('ArrowRight');
    await settle(page, 51);
    await page.locator('body').press('ArrowLeft');
    await page.locator('body').press('ArrowLeft');
    await settle(page, 49);
    await page.locator('body').press('Shift+ArrowRight');
    await settle(page, 59);
    await page.locator('body').press('Shift+ArrowLeft');
    await settle(page, 49);
    expect(await page.evaluate(() => (window as unknown as PlayerWindow).__player.videoFrame())).toBe(49);
  });

  test('clicking and dragging on the timeline seeks the video and the 3D view', async ({ page }) => {
    await openPlayer(page, base(), id);
    const F = await page.evaluate(() => (window as unknown as PlayerWindow).__player.timestamps().length);
    const scrub = page.getByTestId('scrubber');
    const box = (await scrub.boundingBox())!;
    const frameAtX = (x: number) => Math.min(F - 1, Math.floor(((x - box.x) / box.width) * F));
    const x1 = box.x + box.width * 0.75;
    await page.mouse.click(x1, box.y + box.height / 2);
    await settle(page, frameAtX(x1));
    const renders = await page.evaluate(() => (window as unknown as PlayerWindow).__playerStats.renders);
    // drag on the confidence chart: the cursor follows, the last position wins (mouse coordinates are the viewport's)
    await page.getByTestId('confidence-chart').scrollIntoViewIfNeeded();
    const chart = (await page.getByTestId('confidence-chart').boundingBox())!;
    // aim at frame centres: a position on a frame boundary may round either way
    const atFrame = (f: number) => chart.x + ((f + 0.5) / F) * chart.width;
    await page.mouse.move(atFrame(46), chart.y + 10);
    await page.mouse.down();
    await page.mouse.move(atFrame(69), chart.y + 10, { steps: 5 });
    await page.mouse.move(atFrame(92), chart.y + 10, { steps: 5 });
    await page.mouse.up();
    await settle(page, 92);
    expect(await page.evaluate(() => (window as unknown as PlayerWindow).__playerStats.renders)).toBeGreaterThan(renders);
  });

  test('space plays and pauses; while playing the 3D frame never drifts more than one frame from the video', async ({ page }, testInfo) => {
    await openPlayer(page, base(), id);
    await seekAndSettle(page, 0);
    const before = await page.evaluate(() => {
      const s = (window as unknown as { __playerStats: { timelineRenders: number; controlsRenders: number } }).__playerStats;
      return { timeline: s.timelineRenders, controls: s.controlsRenders };
    });
    await page.locator('body').press('Space');
    await page.waitForFunction(() => (window as unknown as PlayerWindow).__player.frame() > 40, null, { timeout: 30_000 });
    await page.locator('body').press('Space');
    const stats = await page.evaluate(() => (window as unknown as { __playerStats: { maxDriftFrames: number; maxVideoStep: number; presentedFrames: number; timelineRenders: number; controlsRenders: number } }).__playerStats);
    testInfo.annotations.push({ type: 'figure', description: `drift ${stats.maxDriftFrames} over ${stats.presentedFrames} presented video frames; largest step between presented video frames ${stats.maxVideoStep}` });
    // checked at every frame the video presented while playing; without such frames the check proves nothing
    expect(stats.presentedFrames).toBeGreaterThan(5);
    expect(stats.maxDriftFrames).toBeLessThanOrEqual(1);
    // the timeline and the control bar follow play/pause, not every frame (their cursor and counter move outside React)
    expect(stats.timelineRenders - before.timeline).toBeLessThanOrEqual(4);
    expect(stats.controlsRenders - before.controls).toBeLessThanOrEqual(4);
    // once paused (and snapped to the frame on screen), the counter and the video show the same frame
    await page.waitForFunction(() => {
      const v = document.querySelector('[data-testid=video]') as HTMLVideoElement;
      const counter = document.querySelector('[data-testid=frame-counter]')?.textContent?.trim();
      return v.paused && !v.seeking && counter === String((window as unknown as PlayerWindow).__player.videoFrame());
    }, null, { timeout: 30_000 });
    await settle(page, await page.evaluate(() => (window as unknown as PlayerWindow).__player.frame()));
  });

  test('a poses request that meets a restarting backing service (503) is said, then retried by itself', async ({ page }) => {
    // the app's own 503 answer while MongoDB or Redis restarts, given to the first poses request only
    let refused = 0;
    await page.route(`**/api/clips/${id}/poses*`, async (route) => {
      if (refused++ === 0) {
        await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'A backing service (MongoDB or Redis) is not reachable right now; try again in a moment.' }) });
      } else await route.continue();
    });
    // the message is on screen for about a second before the retry: every text the page shows about the poses
    // is recorded as it appears, so a slow moment of the test (not of the page) cannot miss it
    await page.addInitScript(() => {
      const seen: string[] = ((window as unknown as { __posesMessages: string[] }).__posesMessages = []);
      new MutationObserver(() => {
        const m = document.body?.innerText.match(/Poses unavailable:[^\n]*/);
        if (m && seen.at(-1) !== m[0]) seen.push(m[0]);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await page.goto(`${base()}/clips/${id}`);
    await page.waitForFunction(() => (window as unknown as { __posesMessages: string[] }).__posesMessages.length > 0, null, { timeout: 30_000 });
    const messages = await page.evaluate(() => (window as unknown as { __posesMessages: string[] }).__posesMessages);
    expect(messages[0]).toMatch(/Poses unavailable: A backing service .* Trying again in 1 s\./);
    await page.waitForFunction(() => (window as unknown as PlayerWindow).__player?.loaded() && ((window as unknown as PlayerWindow).__playerStats?.renders ?? 0) > 0, null, { timeout: 30_000 });
    expect(refused).toBe(2);
    await expect(page.getByText(/Poses unavailable/)).toHaveCount(0);
  });
});

test.describe('progress while PHALP runs', () => {
  test('the clip page shows the job progress rising live, then the player, without a reload', async ({ page }, testInfo) => {
    const base = process.env.E2E_PHALP_URL!;
    await page.goto(base);
    let loads = 0;
    page.on('load', () => loads++);
    await page.getByTestId('upload-input').setInputFiles(uniqueSample());
    // the new clip's row (an earlier test of this app left a done clip with the same name)
    const row = page.locator('.clip-row', { hasText: 'two_people_jump.mp4' })
      .filter({ has: page.locator('[data-testid=clip-status][data-status=queued], [data-testid=clip-status][data-status=processing]') }).first();
    await expect(row.locator('a')).toBeVisible({ timeout: 60_000 });
    await row.locator('a').click();
    // the PHALP test double tracks at PHALP_DOUBLE_FPS (40 frames/s): about 6 s for 230 frames
    const bar = page.getByTestId('job-progress');
    await expect(bar).toBeVisible({ timeout: 60_000 });
    const seen = new Set<string>();
    while (seen.size < 60) {
      const value = await bar.getAttribute('value', { timeout: 1000 }).catch(() => null);
      if (value === null) break; // the bar is gone: the job finished
      seen.add(value);
      if (seen.size === 3) await page.screenshot({ path: testInfo.outputPath('phalp-progress.png') });
      await page.waitForTimeout(150);
    }
    const values = [...seen].map(Number).filter((v) => v > 0 && v < 1);
    // several distinct values between 0 and 1: the page followed the job, it did not jump from start to end
    expect(values.length, `progress values seen: ${[...seen].join(', ')}`).toBeGreaterThanOrEqual(3);
    await expect(page.getByTestId('viewer-canvas')).toBeVisible({ timeout: 60_000 });
    expect(loads).toBe(0);
    // the finished clip says which runner made it and shows its tracking results: the double's scene
    // has two people, one of them held after it leaves the picture
    await expect(page.getByText('pose by PHALP')).toBeVisible();
    const stats = page.getByTestId('clip-stats');
    await expect(stats.locator('tbody tr')).toHaveCount(2);
    const clipId = page.url().split('/').pop()!;
    const clip = await (await page.request.get(`${base}/api/clips/${clipId}`)).json();
    expect(clip.runner).toBe('phalp');
    expect(clip.stats.tracks.some((t: { held: number }) => t.held > 0)).toBe(true);
    await page.screenshot({ path: testInfo.outputPath('phalp-done.png'), fullPage: true });
  });
});

test.describe.serial('player with PHALP results (meshes, coverage, overlay)', () => {
  let id = '';
  const base = () => process.env.E2E_PHALP_URL!;

  test.beforeAll(async ({ request }) => {
    id = await createDoneClip(request, base());
  });

  test('the coverage strip shows held and missing frames exactly where the data has them', async ({ page, request }, testInfo) => {
    await openPlayer(page, base(), id);
    const clip = (await (await request.get(`${base()}/api/clips/${id}`)).json()) as { frameCount: number };
    const res = await request.get(`${base()}/api/clips/${id}/frames?from=0&to=${clip.frameCount - 1}`);
    expect(res.ok()).toBe(true);
    const data = (await res.json()) as { frames: { frame_number: number; persons: { track_id: number; state: string }[] }[] };
    const expected = new Map<number, string[]>();
    const ids = new Set(data.frames.flatMap((f) => f.persons.map((p) => p.track_id)));
    for (const tid of ids) expected.set(tid, data.frames.map((f) => f.persons.find((p) => p.track_id === tid)?.state ?? 'missing'));
    // the test double's two-person scene has both kinds of gaps; without them this test would prove nothing
    const all = [...expected.values()].flat();
    expect(all).toContain('held');
    expect(all).toContain('missing');
    for (const [tid, states] of expected) {
      const shown = await page.evaluate((tid) => {
        const strip = document.querySelector(`[data-testid=coverage-strip][data-track="${tid}"]`)!;
        const out: string[] = [];
        for (const r of strip.querySelectorAll('[data-state]')) {
          const el = r as HTMLElement;
          for (let f = Number(el.dataset.from); f <= Number(el.dataset.to); f++) out[f] = el.dataset.state!;
        }
        return out;
      }, tid);
      expect(shown).toEqual(states);
    }
    // hovering a held frame says why it is not detected
    const tid = [...expected.keys()].find((t) => expected.get(t)!.includes('held'))!;
    const heldFrame = expected.get(tid)!.indexOf('held');
    const strip = page.locator(`[data-testid=coverage-strip][data-track="${tid}"]`);
    const box = (await strip.boundingBox())!;
    await page.mouse.move(box.x + ((heldFrame + 0.5) / clip.frameCount) * box.width, box.y + box.height / 2);
    await expect(page.getByTestId('timeline-tooltip')).toContainText(`Frame ${heldFrame}`);
    await expect(page.getByTestId('timeline-tooltip')).toContainText('held');
    await page.screenshot({ path: testInfo.outputPath('phalp-coverage-hover.png') });
  });

  test('the overlay projects joints within 2 px of the stored 2D joints, drawn where the video shows them', async ({ page }, testInfo) => {
    await openPlayer(page, base(), id);
    const frames = await page.evaluate(() => {
      const strips = [...document.querySelectorAll('[data-testid=coverage-strip] [data-state=detected]')] as HTMLElement[];
      return strips.slice(0, 3).map((r) => Math.floor((Number(r.dataset.from) + Number(r.dataset.to)) / 2));
    });
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      await seekAndSettle(page, f);
      const { projected, stored, J } = await page.evaluate(() => {
        const p = (window as unknown as PlayerWindow).__player;
        return { projected: p.projectedJoints(), stored: p.storedJoints2d(), J: p.jointCount };
      });
      expect(Object.keys(projected).length).toBeGreaterThan(0);
      for (const [tid, uv] of Object.entries(projected)) {
        const ref = stored[tid];
        let worst = 0;
        for (let j = 0; j < J; j++) worst = Math.max(worst, Math.hypot(uv[2 * j] - ref[2 * j], uv[2 * j + 1] - ref[2 * j + 1]));
        expect(worst, `frame ${f} track ${tid}`).toBeLessThanOrEqual(2);
      }
      // pixel alignment: the overlay has ink at the projected neck (joint 1) mapped through object-fit: contain
      const inked = await page.evaluate(() => {
        const p = (window as unknown as PlayerWindow).__player;
        const [tid, uv] = Object.entries(p.projectedJoints())[0];
        void tid;
        const video = document.querySelector('[data-testid=video]') as HTMLVideoElement;
        const canvas = document.querySelector('[data-testid=video-overlay]') as HTMLCanvasElement;
        const r = video.getBoundingClientRect();
        const scale = Math.min(r.width / video.videoWidth, r.height / video.videoHeight);
        const x = (r.width - video.videoWidth * scale) / 2 + uv[2] * scale;
        const y = (r.height - video.videoHeight * scale) / 2 + uv[3] * scale;
        const k = canvas.width / r.width;
        const px = canvas.getContext('2d')!.getImageData(Math.round(x * k) - 1, Math.round(y * k) - 1, 3, 3).data;
        let alpha = 0;
        for (let i = 3; i < px.length; i += 4) alpha = Math.max(alpha, px[i]);
        return alpha;
      });
      expect(inked).toBeGreaterThan(100);
    }
    await page.getByTestId('video').screenshot({ path: testInfo.outputPath('phalp-overlay.png') });
    await page.screenshot({ path: testInfo.outputPath('phalp-player.png') });
  });

  test('with the body model the 3D view draws meshes, and the mesh toggle changes the picture', async ({ page }, testInfo) => {
    await openPlayer(page, base(), id);
    await page.waitForFunction(() => (window as unknown as PlayerWindow).__player.meshAvailable(), null, { timeout: 30_000 });
    const f = await detectedFrame(page, 1, 12);
    await seekAndSettle(page, f);
    const withMesh = await shot(page, testInfo, `phalp-mesh-frame-${f}.png`);
    const meshPixels = await countColouredPixels(page, withMesh, TRACK1);
    expect(meshPixels).toBeGreaterThan(300);
    await page.getByRole('button', { name: 'Mesh' }).click();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const skeleton = await shot(page, testInfo, `phalp-skeleton-frame-${f}.png`);
    expect(await differingPixels(page, withMesh, skeleton)).toBeGreaterThan(200);
    await page.getByTestId('preset-video').click();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await shot(page, testInfo, `phalp-video-camera-frame-${f}.png`);
  });
});
