/** The export endpoint's URL for the Download menu's choices (GET /api/clips/:id/export, lib/export). */
export function exportUrl(
  clipId: string,
  o: { format: string; range: [number, number] | null; tracks: number[] | null; smooth: boolean; angles?: readonly string[] },
): string {
  const q = new URLSearchParams({ format: o.format });
  if (o.range) {
    q.set('from', String(o.range[0]));
    q.set('to', String(o.range[1]));
  }
  if (o.tracks) q.set('tracks', o.tracks.join(','));
  if (o.smooth) q.set('smooth', '1');
  if (o.angles?.length) q.set('angles', o.angles.join(','));
  return `/api/clips/${clipId}/export?${q}`;
}
