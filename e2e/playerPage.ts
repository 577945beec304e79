/**
 * Helpers shared by the player specs (player.spec.ts, analysis.spec.ts): a processed clip through the real
 * upload API, opening the player, seeking and waiting until video and 3D view agree, comparing screenshots.
 * A module of its own: importing a spec from another spec would run its tests too.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import fs from 'node:fs';

import { expect, sameOrigin } from './auth';
import { SAMPLE_VIDEO } from './samples';

/** Uploads the sample video through the real API and waits until the worker has processed it. */
export async function createDoneClip(request: APIRequestContext, baseURL: string, timeoutMs = 170_000): Promise<string> {
  const res = await request.post(`${baseURL}/api/clips`, {
    multipart: { file: { name: 'two_people_jump.mp4', mimeType: 'video/mp4', buffer: fs.readFileSync(SAMPLE_VIDEO) } },
    headers: sameOrigin(baseURL),
    timeout: 120_000,
  });
  expect(res.status(), await res.text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await expect
    .poll(async () => ((await (await request.get(`${baseURL}/api/clips/${id}`)).json()) as { status: string }).status, { timeout: timeoutMs, intervals: [1000] })
    .toBe('done');
  return id;
}

export type PlayerHook = {
  frame(): number;
  videoFrame(): number;
  seek(f: number): void;
  loaded(): boolean;
  meshAvailable(): boolean;
  timestamps(): number[];
  projectedJoints(): Record<string, number[]>;
  storedJoints2d(): Record<string, number[]>;
  jointCount: number;
};
export type PlayerWindow = Window & { __player: PlayerHook; __playerStats: { renders: number; frameJsMs: number[]; frameGlMs: number[]; firstFrameAt: number | null; renderedFrame: number } };

/** Opens the clip page and waits until poses are loaded and the 3D view has rendered once. */
export async function openPlayer(page: Page, baseURL: string, id: string): Promise<void> {
  await page.goto(`${baseURL}/clips/${id}`);
  await page.waitForFunction(() => (window as unknown as PlayerWindow).__player?.loaded() && ((window as unknown as PlayerWindow).__playerStats?.renders ?? 0) > 0, null, { timeout: 60_000 });
  await page.waitForFunction(() => (document.querySelector('[data-testid=video]') as HTMLVideoElement).readyState >= 2, null, { timeout: 60_000 });
}

/** Seeks through the player's hook and waits until the video has landed on the frame and the 3D view rendered it. */
export async function seekAndSettle(page: Page, frame: number): Promise<void> {
  await page.evaluate((f) => (window as unknown as PlayerWindow).__player.seek(f), frame);
  await settle(page, frame);
}

export async function settle(page: Page, frame: number): Promise<void> {
  await expect(page.getByTestId('frame-counter')).toHaveText(String(frame));
  await page.waitForFunction((f) => {
    const v = document.querySelector('[data-testid=video]') as HTMLVideoElement;
    return !v.seeking && (window as unknown as PlayerWindow).__player.videoFrame() === f;
  }, frame);
  // the 3D view has drawn this frame (an empty or stale canvas fails here), then one more animation frame
  await page.waitForFunction((f) => (window as unknown as PlayerWindow).__playerStats.renderedFrame === f, frame);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Pixels of a PNG screenshot whose colour is close in hue to `rgb` and clearly saturated (not grid, not background). */
export async function countColouredPixels(page: Page, png: Buffer, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(async ({ b64, rgb }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const hue = (r: number, g: number, b: number) => {
      const max = Math.max(r, g, b), min = Math.min(r, g, b);
      if (max === min) return { h: 0, s: 0 };
      const dd = max - min;
      let h = max === r ? (g - b) / dd + (g < b ? 6 : 0) : max === g ? (b - r) / dd + 2 : (r - g) / dd + 4;
      return { h: h * 60, s: dd / max };
    };
    const target = hue(...rgb);
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const { h, s } = hue(d[i], d[i + 1], d[i + 2]);
      const dh = Math.min(Math.abs(h - target.h), 360 - Math.abs(h - target.h));
      if (s > 0.35 && Math.max(d[i], d[i + 1], d[i + 2]) > 60 && dh < 18) n++;
    }
    return n;
  }, { b64: png.toString('base64'), rgb });
}

/** Number of differing pixels between two same-size PNG screenshots. */
export async function differingPixels(page: Page, a: Buffer, b: Buffer): Promise<number> {
  return page.evaluate(async ({ a, b }) => {
    const load = async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      c.getContext('2d')!.drawImage(img, 0, 0);
      return c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    };
    const [x, y] = [await load(a), await load(b)];
    if (x.length !== y.length) return Number.MAX_SAFE_INTEGER;
    let n = 0;
    for (let i = 0; i < x.length; i += 4) if (Math.abs(x[i] - y[i]) + Math.abs(x[i + 1] - y[i + 1]) + Math.abs(x[i + 2] - y[i + 2]) > 30) n++;
    return n;
  }, { a: a.toString('base64'), b: b.toString('base64') });
}
