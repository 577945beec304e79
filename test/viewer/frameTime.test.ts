import { describe, expect, it } from 'vitest';
import { clampFrame, formatTime, frameAtTime, seekTimeForFrame } from '../../lib/viewer/frameTime';

describe('frame <-> time', () => {
  const cfr = Array.from({ length: 10 }, (_, i) => i / 30);
  const vfr = [0, 0.04, 0.05, 0.1, 0.2, 0.21];

  it('maps a media time to the frame on screen (constant and variable rate)', () => {
    expect(frameAtTime(cfr, 0)).toBe(0);
    expect(frameAtTime(cfr, 1 / 30)).toBe(1);
    expect(frameAtTime(cfr, 1 / 30 - 0.001)).toBe(0);
    expect(frameAtTime(cfr, 99)).toBe(9);
    expect(frameAtTime(cfr, -1)).toBe(0);
    expect(frameAtTime(vfr, 0.045)).toBe(1);
    expect(frameAtTime(vfr, 0.15)).toBe(3);
    expect(frameAtTime(vfr, 0.205)).toBe(4);
  });

  it('seeks to the middle of a frame display interval, which maps back to the same frame', () => {
    expect(seekTimeForFrame(vfr, 3, 30)).toBeCloseTo(0.15, 9);
    expect(seekTimeForFrame(vfr, 5, 30)).toBeCloseTo(0.215, 9); // last frame: previous step
    for (const ts of [cfr, vfr]) for (let i = 0; i < ts.length; i++) expect(frameAtTime(ts, seekTimeForFrame(ts, i, 30))).toBe(i);
    expect(seekTimeForFrame(cfr, 50, 30)).toBeCloseTo(9.5 / 30, 9); // clamped
  });

  it('clamps and formats', () => {
    expect(clampFrame(-3, 10)).toBe(0);
    expect(clampFrame(12, 10)).toBe(9);
    expect(formatTime(61.5)).toBe('1:01.500');
    expect(formatTime(0.0333)).toBe('0:00.033');
  });
});
