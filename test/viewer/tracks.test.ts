import { describe, expect, it } from 'vitest';
import { COVER, buildTrackTable, coverageRuns, describeCoverage, lostSpanAt, personAt } from '../../lib/viewer/tracks';
import { syntheticSequence } from './synthetic';

describe('track table', () => {
  const seq = syntheticSequence({ runner: 'phalp', frames: 30, tracks: 2, seed: 5 });
  const table = buildTrackTable(seq);

  it('lists tracks and codes every frame as the data says', () => {
    expect(table.trackIds).toEqual([1, 2]);
    for (const id of table.trackIds) {
      for (let f = 0; f < 30; f++) {
        const p = seq.frames[f].persons.find((q) => q.track_id === id);
        const code = table.coverage.get(id)![f];
        if (!p) {
          expect(code).toBe(COVER.missing);
          expect(table.confidence.get(id)![f]).toBeNaN();
          expect(personAt(seq, table, id, f)).toBeNull();
        } else {
          expect(code).toBe(COVER[p.state]);
          expect(personAt(seq, table, id, f)).toBe(p);
        }
      }
    }
    // the generator leaves track 1 out at frames 10, 21 (f + 1 divisible by 11)
    expect(table.coverage.get(1)![10]).toBe(COVER.missing);
  });

  it('groups runs and explains non-detected frames from the lost spans', () => {
    expect(coverageRuns(Uint8Array.from([1, 1, 2, 2, 2, 0, 1]))).toEqual([
      { from: 0, to: 1, code: 1 }, { from: 2, to: 4, code: 2 }, { from: 5, to: 5, code: 0 }, { from: 6, to: 6, code: 1 },
    ]);
    const stats = { track_id: 1, first_frame: 9, last_frame: 103, detected: 90, held: 5, interpolated: 0, missing: 9, mean_confidence: 0.9, mean_tracking_confidence: 0.8,
      lost: [{ from: 0, to: 8, shown_as: 'missing' as const, reason: 'before_confirmation' as const }, { from: 99, to: 103, shown_as: 'held' as const, reason: 'not_matched' as const }] };
    expect(lostSpanAt(stats, 100)?.reason).toBe('not_matched');
    expect(lostSpanAt(stats, 50)).toBeNull();
    expect(describeCoverage(COVER.held, lostSpanAt(stats, 100))).toMatch(/held.*no detection matched/);
    expect(describeCoverage(COVER.missing, lostSpanAt(stats, 3))).toMatch(/missing.*not confirmed/);
    expect(describeCoverage(COVER.detected, null)).toBe('detected');
  });
});
