import { describe, expect, it } from 'vitest';
import { angleArc, arcModeFor, arcRadius, formatAngle, interiorAngle, placeLabels, pointOf, sectorTriangles } from '../../lib/viewer/angleArcs';

const dist = (p: ArrayLike<number>, q: ArrayLike<number>) => Math.hypot(...Array.from(p, (v, i) => v - q[i]));

describe('angle arcs', () => {
  // hip above the knee, ankle forward and down: a knee bent 60° (interior 120°)
  const hip = [0, 1, 0];
  const knee = [0, 0, 0];
  const ankle = [Math.sin(Math.PI / 3), -Math.cos(Math.PI / 3), 0];

  it('measures the interior angle and picks the arc the value is', () => {
    expect(interiorAngle(hip, knee, ankle)).toBeCloseTo(120, 9);
    expect(interiorAngle([1, 0], [0, 0], [0, 1])).toBeCloseTo(90, 9);
    expect(interiorAngle([0, 0, 0], [0, 0, 0], [1, 0, 0])).toBeNaN();
    // a flexion value (180 - interior) gets the supplement arc, an interior value the interior one
    expect(arcModeFor(hip, knee, ankle, 60)).toBe('supplement');
    expect(arcModeFor(hip, knee, ankle, 120)).toBe('interior');
    expect(arcModeFor(hip, knee, [NaN, 0, 0], 10)).toBe('interior');
  });

  it('a supplement arc starts on the continuation of the proximal segment and ends on the distal one', () => {
    const r = 0.2;
    const arc = angleArc(hip, knee, ankle, 'supplement', r, 12)!;
    expect(arc.sweepDeg).toBeCloseTo(60, 4);
    const n = arc.points.length / 3;
    expect(n).toBe(13);
    // first point: straight down from the knee (continuation of hip -> knee)
    expect(Array.from(arc.points.subarray(0, 3)).map((v) => +v.toFixed(5))).toEqual([0, -0.2, 0]);
    // last point: along knee -> ankle
    const last = arc.points.subarray(3 * (n - 1));
    for (let i = 0; i < 3; i++) expect(last[i]).toBeCloseTo(ankle[i] * r, 5);
    // every point at the radius, in the plane of the three points (z = 0), angles increasing evenly
    for (let s = 0; s < n; s++) {
      const p = arc.points.subarray(3 * s, 3 * s + 3);
      expect(dist(p, knee)).toBeCloseTo(r, 5);
      expect(p[2]).toBeCloseTo(0, 6);
      expect(interiorAngle([0, -1, 0], knee, Array.from(p))).toBeCloseTo((60 * s) / 12, 3);
    }
    // the label sits on the bisector, outside the arc
    expect(interiorAngle([0, -1, 0], knee, arc.label)).toBeCloseTo(30, 4);
    expect(dist(arc.label, knee)).toBeGreaterThan(r);
  });

  it('an interior arc sweeps from one segment to the other, in 2D too', () => {
    const arc = angleArc([10, 0], [0, 0], [0, 10], 'interior', 5, 8)!;
    expect(arc.dim).toBe(2);
    expect(arc.sweepDeg).toBeCloseTo(90, 6);
    expect(arc.points[0]).toBeCloseTo(5, 5);
    expect(arc.points[1]).toBeCloseTo(0, 5);
    expect(arc.points[16]).toBeCloseTo(0, 5);
    expect(arc.points[17]).toBeCloseTo(5, 5);
    // image y down: the same call works, the arc turns the other way
    const down = angleArc([10, 0], [0, 0], [0, -10], 'interior', 5, 8)!;
    expect(down.points[17]).toBeCloseTo(-5, 5);
  });

  it('handles straight and folded limbs, and refuses missing points', () => {
    // straight leg: flexion 0, the arc collapses onto the segment (no NaN)
    const straight = angleArc([0, 2, 0], [0, 1, 0], [0, 0, 0], 'supplement', 0.3, 6)!;
    expect(straight.sweepDeg).toBeCloseTo(0, 6);
    expect(Array.from(straight.points).every(Number.isFinite)).toBe(true);
    // fully folded (interior 0 -> supplement 180): a half circle in some plane through the segment
    const folded = angleArc([0, 1, 0], [0, 0, 0], [0, 1, 0], 'supplement', 0.5, 8)!;
    expect(folded.sweepDeg).toBeCloseTo(180, 6);
    const mid = folded.points.subarray(12, 15);
    expect(dist(mid, [0, 0, 0])).toBeCloseTo(0.5, 5);
    expect(mid[1]).toBeCloseTo(0, 5);
    expect(angleArc([NaN, 0, 0], [0, 0, 0], [1, 0, 0], 'interior', 1)).toBeNull();
    expect(angleArc([0, 0, 0], [0, 0, 0], [1, 0, 0], 'interior', 1)).toBeNull();
    expect(angleArc([1, 0, 0], [0, 0, 0], [0, 1, 0], 'interior', 0)).toBeNull();
    expect(() => angleArc([1, 0], [0, 0, 0], [0, 1, 0], 'interior', 1)).toThrow(/2D or 3D/);
  });

  it('builds the sector fan, the radius and the label text', () => {
    const arc = angleArc([1, 0, 0], [0, 0, 0], [0, 1, 0], 'interior', 1, 4)!;
    const tris = sectorTriangles(arc, [0, 0, 0]);
    expect(tris.length).toBe(4 * 3 * 3);
    expect(Array.from(tris.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(tris.subarray(3, 6))).toEqual(Array.from(arc.points.subarray(0, 3)));
    expect(Array.from(tris.subarray(33, 36))).toEqual(Array.from(arc.points.subarray(12, 15)));
    expect(arcRadius([0, 2, 0], [0, 0, 0], [1, 0, 0], 0.5)).toBeCloseTo(0.5, 9);
    expect(pointOf(new Float32Array([1, 2, 3, 4, 5, 6]), 1, 3)).toEqual([4, 5, 6]);
    expect(formatAngle(42.6)).toBe('43°');
    expect(formatAngle(null)).toBe('–');
  });

  it('moves overlapping labels apart and leaves separate ones where they are', () => {
    const out = placeLabels([{ x: 100, y: 50, w: 40 }, { x: 110, y: 52, w: 40 }, { x: 300, y: 50, w: 40 }], 18);
    expect(out[0]).toEqual([100, 50]);
    expect(Math.abs(out[1][1] - 50)).toBeGreaterThanOrEqual(20);
    expect(out[1][0]).toBe(110);
    expect(out[2]).toEqual([300, 50]);
  });
});
