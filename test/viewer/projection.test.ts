import { describe, expect, it } from 'vitest';
import { containRect, projectPoints, videoToElement } from '../../lib/viewer/projection';

describe('projection', () => {
  it('projects with the PHALP pinhole (PHALP.md section 3)', () => {
    const k = { fx: 16640.625, fy: 16640.625, cx: 426, cy: 240 };
    const out = new Float64Array(4);
    projectPoints([0, 0, 0, 0.1, -0.2, 1], { tx: 0, ty: 0, tz: 50 }, k, out);
    expect(out[0]).toBeCloseTo(426, 9);
    expect(out[1]).toBeCloseTo(240, 9);
    expect(out[2]).toBeCloseTo((16640.625 * 0.1) / 51 + 426, 9);
    expect(out[3]).toBeCloseTo((16640.625 * -0.2) / 51 + 240, 9);
    projectPoints([0, 0, -60], { tx: 0, ty: 0, tz: 50 }, k, out);
    expect(out[0]).toBeNaN();
  });

  it('maps video pixels into a letterboxed element (object-fit: contain)', () => {
    // 1768x994 video in a 800x800 element: full width, bars top and bottom.
    const r = containRect(800, 800, 1768, 994);
    expect(r.width).toBeCloseTo(800, 9);
    expect(r.height).toBeCloseTo(994 * (800 / 1768), 9);
    expect(r.top).toBeCloseTo((800 - r.height) / 2, 9);
    expect(videoToElement(r, 1768, 994)).toEqual([r.left + r.width, r.top + r.height]);
    // pillarbox: tall video in a wide element
    const p = containRect(1000, 500, 480, 852);
    expect(p.height).toBeCloseTo(500, 9);
    expect(p.left).toBeCloseTo((1000 - 480 * (500 / 852)) / 2, 9);
  });
});
