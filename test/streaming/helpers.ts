import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { GET as getEvents } from '../../app/api/clips/[id]/events/route';
import { GET as getFrames } from '../../app/api/clips/[id]/frames/route';
import { GET as getPoses } from '../../app/api/clips/[id]/poses/route';
import { decodePoseSequence } from '../../lib/pose/compact';
import { asUser, params, type TestUser } from '../auth/helpers';
import { SAMPLE_VIDEO } from '../foundation/helpers';

/** The sample clip with unique bytes (a new comment tag, the video stream copied as is): never taken for an earlier upload. */
export function uniqueSampleCopy(dir: string): string {
  const file = path.join(dir, `sample-${crypto.randomUUID()}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-i', SAMPLE_VIDEO, '-map', '0', '-c', 'copy', '-metadata', `comment=${crypto.randomUUID()}`, file]);
  return file;
}

export interface FramesEvent {
  id: string;
  status: string;
  final_frames: number;
  total_frames: number;
  /** ms since the stream was opened */
  at: number;
}

/**
 * Follows GET /api/clips/:id/events as a page does, through the real route handler; every `frames`
 * event is handed to `onFrames` (awaited, in order). Resolves when the server ends the stream (the clip is final).
 */
export async function followFrameEvents(user: TestUser, clipId: string, onFrames: (e: FramesEvent) => Promise<void>): Promise<FramesEvent[]> {
  const res = await getEvents(asUser(user, `/api/clips/${clipId}/events`), params({ id: clipId }));
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  const t0 = Date.now();
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const seen: FramesEvent[] = [];
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== 'frames' || !data) continue;
      const e = { ...(JSON.parse(data) as Omit<FramesEvent, 'at'>), at: Date.now() - t0 };
      seen.push(e);
      await onFrames(e);
    }
  }
  return seen;
}

export async function framesApi(user: TestUser, clipId: string, query: string) {
  const res = await getFrames(asUser(user, `/api/clips/${clipId}/frames?${query}`), params({ id: clipId }));
  return { status: res.status, body: await res.json() };
}

export async function posesApi(user: TestUser, clipId: string) {
  const res = await getPoses(asUser(user, `/api/clips/${clipId}/poses`), params({ id: clipId }));
  if (!res.ok) return { status: res.status, headers: res.headers, seq: null };
  return { status: res.status, headers: res.headers, seq: decodePoseSequence(new Uint8Array(await res.arrayBuffer())) };
}

/** Track ids per frame as the frames API served them: 'frame -> "1,2"'. */
export type IdsByFrame = Map<number, string>;

export function recordIds(into: IdsByFrame, frames: { frame_number: number; persons: { track_id: number }[] }[]): void {
  for (const f of frames) {
    const ids = f.persons.map((p) => p.track_id).join(',');
    const before = into.get(f.frame_number);
    if (before !== undefined && before !== ids) throw new Error(`frame ${f.frame_number}: track ids ${before} were served, now ${ids}`);
    into.set(f.frame_number, ids);
  }
}
