import { describe, expect, it } from 'vitest';
import { testUser } from '../auth/helpers';
import { PHALP_DOUBLE_DIR } from '../foundation/helpers';
import { expectFramesWhileTracking, streamingSuite } from './helpers';

/**
 * Results while tracking runs, PHALP: a real worker with the warm PHALP service, PHALP played by its TEST
 * DOUBLE (test/fixtures/phalp-double; two people, one confirmed late, one leaving and held as a ghost),
 * paced at 10 frames/s. The service hands out frames once they are past PHALP's track-confirmation
 * window (phalp.n_init = 5); the page-like follower checks the same promises as for the CPU runner.
 */
const suite = streamingSuite('mc-stream-phalp-');

describe('PHALP (warm service, test double): frames are served in chunks while tracking runs', { timeout: 300_000 }, () => {
  it('final counts grow while processing, each new range is served, and served track ids never change', async () => {
    const worker = await suite.startWorker({
      POSE_RUNNER: 'phalp',
      PHALP_MODE: 'service',
      PHALP_DIR: PHALP_DOUBLE_DIR,
      PHALP_PYTHON: '/usr/bin/python3',
      PHALP_DOUBLE_PEOPLE: '2',
      PHALP_DOUBLE_FPS: '10',
    });
    const user = await testUser();
    const clip = await suite.uploadSample(user);
    const events = await expectFramesWhileTracking(user, clip.id, 230, () => worker.output());
    // chunks, not one frame at a time nor all at once: at 10 frames/s and one event per 0.5 s at most
    const whileProcessing = events.filter((e) => e.status === 'processing' && e.final_frames > 0);
    expect(whileProcessing.length).toBeGreaterThanOrEqual(5);
    console.log(`[streaming] frames events: ${events.map((e) => `${e.final_frames}@${e.at}ms(${e.status})`).join(' ')}`);
  });
});
