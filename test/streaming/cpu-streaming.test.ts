import { describe, it } from 'vitest';
import { testUser } from '../auth/helpers';
import { expectFramesWhileTracking, streamingSuite } from './helpers';

/**
 * Results while tracking runs, CPU runner: a real worker process tracks the real sample clip; the test
 * follows the clip's event stream like a page (real route handlers, real MongoDB and Redis) and fetches
 * only each new range of final frames from the frames API while the job runs.
 */
const suite = streamingSuite('mc-stream-cpu-');

describe('CPU runner: frames are served in chunks while tracking runs', { timeout: 300_000 }, () => {
  it('final counts grow while processing, each new range is served, and served track ids never change', async () => {
    const worker = await suite.startWorker({ POSE_RUNNER: 'cpu' });
    const user = await testUser();
    const clip = await suite.uploadSample(user);

    const events = await expectFramesWhileTracking(user, clip.id, 230, () => worker.output());
    console.log(`[streaming] frames events: ${events.map((e) => `${e.final_frames}@${e.at}ms(${e.status})`).join(' ')}`);
  });
});
