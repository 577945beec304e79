/**
 * Per-track colours: distinct, readable on a dark background, stable for a track id (the same
 * athlete has the same colour in the 3D view, the overlay, the track list and the timeline).
 */
const PALETTE = ['#4cc9f0', '#f77f00', '#80ed99', '#f15bb5', '#fee440', '#9b5de5', '#00f5d4', '#ff595e'] as const;

export function trackColor(trackId: number): string {
  const i = ((trackId - 1) % PALETTE.length + PALETTE.length) % PALETTE.length;
  return PALETTE[i];
}

/** "#rrggbb" -> [r, g, b] in 0..255 (tests compare screenshot pixels against it). */
export function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Coverage strip colours by what a frame shows. */
export const COVERAGE_COLORS = {
  detected: '#2fbf71',
  interpolated: '#4c8dff',
  held: '#e8a33d',
  missing: '#3a3f4b',
} as const;

/** How the 3D view and the overlay draw a person by state: a held frame is a faded stale copy. */
export const STATE_OPACITY = { detected: 1, interpolated: 0.6, held: 0.3 } as const;
