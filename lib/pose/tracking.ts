/**
 * Small, generic pieces of multi-person tracking: box overlap, a normalised box distance, and a greedy
 * assignment on a cost matrix. Boxes are [x, y, w, h] in any one pixel space.
 *
 * Greedy (cheapest pair first) rather than Hungarian: with the handful of people in a coaching clip the
 * two agree except in contrived ties, and greedy is easy to reason about when reading a result.
 */

export type Box = readonly [number, number, number, number];

export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Distance between box centres divided by the mean box diagonal: 0 same place, ~1 one body apart. */
export function centreDistance(a: Box, b: Box): number {
  const dx = a[0] + a[2] / 2 - (b[0] + b[2] / 2);
  const dy = a[1] + a[3] / 2 - (b[1] + b[3] / 2);
  const diag = (Math.hypot(a[2], a[3]) + Math.hypot(b[2], b[3])) / 2;
  return diag > 0 ? Math.hypot(dx, dy) / diag : Infinity;
}

/**
 * Cost of saying box `b` is the same person as box `a`: low when they overlap and sit in the same place.
 * 0..~2; pairs above ~1 are rarely the same person between nearby frames.
 */
export function boxCost(a: Box, b: Box): number {
  return 1 - iou(a, b) + centreDistance(a, b);
}

/** Assigns rows to columns, cheapest pair first, skipping pairs whose cost exceeds `maxCost`. */
export function greedyAssign(cost: readonly (readonly number[])[], maxCost: number): Array<[row: number, col: number]> {
  const pairs: Array<[number, number, number]> = [];
  cost.forEach((row, r) => row.forEach((c, k) => { if (c <= maxCost) pairs.push([c, r, k]); }));
  pairs.sort((p, q) => p[0] - q[0]);
  const usedRows = new Set<number>();
  const usedCols = new Set<number>();
  const out: Array<[number, number]> = [];
  for (const [, r, k] of pairs) {
    if (usedRows.has(r) || usedCols.has(k)) continue;
    usedRows.add(r);
    usedCols.add(k);
    out.push([r, k]);
  }
  return out;
}
