import { describe, expect, it } from 'vitest';
import { nextPoseLoad } from '../../components/player/usePoseData';
import { updateClip } from '../../lib/clips/repo';
import { cancelClip } from '../../lib/clips/service';
import { appendFinalFrames, readFrames } from '../../lib/frames/repo';
import { createLogger } from '../../lib/log';
import { processClip } from '../../worker/pipeline';
import { testUser } from '../auth/helpers';
import { waitFor } from '../foundation/helpers';
import { syntheticSequence } from '../frames/synthetic-sequence';
import { followFrameEvents, framesApi, posesApi, streamingSuite } from './helpers';

/**
 * A new attempt of a job (a retry, or a worker that died mid-job) starts the clip's final frames over at
 * 0: what an earlier attempt stored while it ran is not this attempt's (its track ids may differ). The
 * pipeline (worker/pipeline.ts, as the worker runs it) resets before any stage; the frames API and the
 * poses payload then answer 409 with 0 final frames, and the clip's events say 0, so a page that holds
 * the earlier frames reloads everything (nextPoseLoad: a count that goes down means 'all').
 */
const suite = streamingSuite('mc-stream-reset-');

describe('final frames of an earlier attempt', { timeout: 120_000 }, () => {
  it('a new attempt resets them: frames API and poses 409 with final_frames 0, the events go down to 0', async () => {
    const user = await testUser();
    // queued; no worker runs in this file, so nothing else takes the job
    const clip = await suite.uploadSample(user);

    // attempt 1 stored frames 0..9 while tracking ran, then its worker died
    await updateClip(clip.id, { status: 'processing', stage: 'tracking' });
    const { frames, ...meta } = syntheticSequence({ frames: 230, tracks: 2 });
    expect(await appendFinalFrames(clip.id, meta, frames.slice(0, 10))).toBe(10);
    const before = await framesApi(user, clip.id, 'from=0');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ final_frames: 10, complete: false });
    expect((await posesApi(user, clip.id)).headers.get('x-final-frames')).toBe('10');

    // a page following the clip's events
    const counts: number[] = [];
    const following = followFrameEvents(user, clip.id, async (e) => void counts.push(e.final_frames));
    await waitFor(async () => counts.includes(10), 20_000, 'the events to say 10 final frames');

    // attempt 2 begins; it is stopped at its first progress report (after the reset, before any stage's work)
    const stop = new AbortController();
    let seenByAttempt2: { frames: Awaited<ReturnType<typeof framesApi>>; poses: Awaited<ReturnType<typeof posesApi>> } | null = null;
    const attempt2 = processClip({
      clipId: clip.id,
      attempt: 2,
      signal: stop.signal,
      log: createLogger({ test: 'attempt-reset' }),
      reportJobProgress: async () => {
        if (seenByAttempt2) return;
        seenByAttempt2 = { frames: await framesApi(user, clip.id, 'from=0'), poses: await posesApi(user, clip.id) };
        stop.abort(new Error('the test stops attempt 2 here'));
      },
    });
    await expect(attempt2).rejects.toThrow();
    expect(seenByAttempt2).not.toBeNull();
    const seen = seenByAttempt2!;
    expect(seen.frames.status).toBe(409);
    expect(seen.frames.body.final_frames).toBe(0);
    expect(seen.poses.status).toBe(409);
    expect(await readFrames(clip.id, 0, 229)).toHaveLength(0);

    // the page is told the count went down, and reloads what it holds
    await waitFor(async () => counts.at(-1) === 0, 20_000, 'a frames event with 0 final frames');
    expect(counts.indexOf(10)).toBeLessThan(counts.lastIndexOf(0));
    expect(nextPoseLoad(10, 0)).toBe('all');

    await cancelClip(user.actor, clip.id);
    await following;
  });
});

describe('nextPoseLoad (what the player fetches when the count of final frames changes)', () => {
  it('everything at first and when the count goes down, only the new range when it grows, nothing when equal', () => {
    expect(nextPoseLoad(null, 5)).toBe('all');
    expect(nextPoseLoad(null, 0)).toBe('all');
    expect(nextPoseLoad(40, 3)).toBe('all');
    expect(nextPoseLoad(40, 0)).toBe('all');
    expect(nextPoseLoad(40, 41)).toBe('range');
    expect(nextPoseLoad(40, 40)).toBe('none');
  });
});
