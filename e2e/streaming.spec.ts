/**
 * Results while tracking runs, in the browser: the clip page of a clip that is still processing (the CPU
 * app, the real sample clip with unique bytes so it really runs) opens the player as soon as the first
 * frames are final, plays them, shows the rest as "processing" on the timeline, and takes new frames
 * live from the clip's events — fetching only each new range, without a reload — until the clip is done.
 */
import { expect, sameOrigin, test } from './auth';
import type { PlayerWindow } from './playerPage';
import { uniqueSample } from './samples';

type StreamingPlayer = PlayerWindow & { __player: PlayerWindow['__player'] & { finalFrames(): number; waitingAtEdge(): boolean; sourceLoading(): boolean; state(): { playing: boolean } } };
/** what the page saw while playing a processing clip (see the edge check below) */
interface EdgeWatch {
  /** frames shown while playing that were not final yet (must stay empty) */
  beyond: string[];
  /** each animation frame spent waiting at the edge of the final frames */
  waits: { tick: number; frame: number; final: number; paused: boolean; videoFrame: number }[];
  ticks: number;
  /** the frame shown on each animation frame while the copy replaced the upload (it must not move) */
  whileLoading: number[];
  on: boolean;
}

test('a processing clip plays its final frames and the count grows live until done', async ({ page, request, baseURL }) => {
  test.setTimeout(420_000);
  const res = await request.post(`${baseURL}/api/clips`, { multipart: { file: uniqueSample() }, headers: sameOrigin(baseURL!), timeout: 120_000 });
  expect(res.status(), await res.text()).toBe(201);
  const { id } = (await res.json()) as { id: string };

  const requests: string[] = [];
  let documentLoads = 0;
  page.on('load', () => documentLoads++);
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith(`/api/clips/${id}/`) && !u.pathname.endsWith('/video')) requests.push(`${u.pathname.split('/').pop()}${u.search}`);
  });
  await page.goto(`${baseURL}/clips/${id}`);
  // a mark on this document: it must still be there at the end (no reload)
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

  // the player opens while the clip is processing
  const note = page.getByTestId('final-frames');
  await expect(note).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('clip-status')).toContainText(/process|track/i);
  await page.waitForFunction(() => ((window as unknown as StreamingPlayer).__player?.finalFrames() ?? 0) > 0, null, { timeout: 60_000 });
  const first = Number(await note.getAttribute('data-final'));
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThan(230);
  // the frames not final yet are shown as processing on the timeline
  await expect(page.getByTestId('coverage-processing').first()).toBeVisible();

  // processed frames play: the frame counter moves; playback stops at the last final frame (the video
  // paused there) instead of running into frames still being tracked, and goes on by itself as more arrive
  await page.waitForFunction(() => (document.querySelector('[data-testid=video]') as HTMLVideoElement).readyState >= 2, null, { timeout: 60_000 });
  await page.evaluate(() => {
    const w = window as unknown as StreamingPlayer & { __edge: EdgeWatch };
    const video = document.querySelector('[data-testid=video]') as HTMLVideoElement;
    const watch: EdgeWatch = (w.__edge = { beyond: [], waits: [], whileLoading: [], ticks: 0, on: true });
    // every animation frame while processing: the frame shown while playing is a final one
    const tick = () => {
      if (!watch.on) return;
      const p = w.__player;
      const frame = p.frame(), final = p.finalFrames();
      if (final < 230 && p.state().playing && frame >= final) watch.beyond.push(`${frame}>=${final}`);
      // (while the copy replaces the upload the element has no frame to show: its time is 0 until it has loaded)
      if (p.waitingAtEdge() && !video.seeking && !p.sourceLoading()) watch.waits.push({ tick: watch.ticks, frame, final, paused: video.paused, videoFrame: p.videoFrame() });
      if (p.sourceLoading()) watch.whileLoading.push(frame);
      watch.ticks++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.keyboard.press('k');
  await expect.poll(() => page.evaluate(() => (window as unknown as { __edge: EdgeWatch }).__edge.waits.length), { timeout: 60_000 }).toBeGreaterThan(0);
  const waitedAt = (await page.evaluate(() => (window as unknown as { __edge: EdgeWatch }).__edge.waits[0]!)).frame;
  // it goes on without a key press once more frames are final
  await expect.poll(() => page.evaluate(() => (window as unknown as StreamingPlayer).__player.frame()), { timeout: 120_000 }).toBeGreaterThan(waitedAt);
  expect(Number(await page.getByTestId('frame-counter').textContent())).toBeGreaterThan(0);

  // the count grows live (events), the player takes the new frames
  const counts = [first];
  await expect
    .poll(async () => {
      counts.push(Number(await note.getAttribute('data-final').catch(() => '230')));
      return counts.at(-1)!;
    }, { timeout: 240_000, intervals: [500] })
    .toBeGreaterThan(first);
  await expect.poll(() => page.evaluate(() => (window as unknown as StreamingPlayer).__player.finalFrames()), { timeout: 60_000 }).toBeGreaterThan(first);

  // until done: every frame is there, the processing strip is gone, the download menu is offered
  await expect(note).toBeHidden({ timeout: 300_000 });
  await expect.poll(() => page.evaluate(() => (window as unknown as StreamingPlayer).__player.finalFrames()), { timeout: 60_000 }).toBe(230);
  await expect(page.getByTestId('coverage-processing')).toHaveCount(0);
  expect(counts.filter((c, i) => i > 0 && c < counts[i - 1]!), `counts seen: ${counts.join(',')}`).toEqual([]);
  // playback never showed a frame still being tracked, and while it waited the video stood on the last final frame
  const edge = await page.evaluate(() => {
    const w = (window as unknown as { __edge: EdgeWatch }).__edge;
    w.on = false;
    return w;
  });
  expect(edge.beyond).toEqual([]);
  // the playable copy replaced the upload (at the latest when the clip was done) and the frame shown stayed put meanwhile
  expect(await page.getByTestId('video').evaluate((v: HTMLVideoElement) => v.currentSrc)).toContain('copy=1');
  expect(new Set(edge.whileLoading).size, `frames shown while the copy loaded: ${edge.whileLoading.join(',')}`).toBeLessThanOrEqual(1);
  expect(edge.waits.length).toBeGreaterThan(0);
  // (more frames may become final between the player's update and its resume: one animation frame may see
  // the wait behind the new edge; a wait that stays there, or stands elsewhere, fails)
  const off = edge.waits.filter((x) => !x.paused || x.frame !== x.final - 1 || x.videoFrame !== x.frame);
  const stuck = off.filter((x) => !x.paused || x.videoFrame !== x.frame || off.some((y) => y.tick === x.tick + 1));
  expect(stuck, JSON.stringify(edge.waits.slice(0, 20))).toEqual([]);

  // no reload, the whole sequence fetched once, then only new ranges, each starting where the last ended
  expect(documentLoads).toBe(1);
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  expect(requests.filter((r) => r.startsWith('poses'))).toHaveLength(1);
  const ranges = requests.filter((r) => r.startsWith('frames')).map((r) => new URLSearchParams(r.slice(r.indexOf('?'))));
  expect(ranges.length).toBeGreaterThan(0);
  for (let i = 1; i < ranges.length; i++) expect(Number(ranges[i]!.get('from'))).toBe(Number(ranges[i - 1]!.get('to')) + 1);
  expect(Number(ranges.at(-1)!.get('to'))).toBe(229);
});
