/**
 * Export file names: what the file holds, in a name every file system and browser accepts.
 *   <clip>_frames-<from>-<to>_athlete[s]-<ids>[_smoothed].<ext>      e.g. sprint_frames-0-1299_athletes-1-3.csv
 * <clip> is the upload's name without its extension, reduced to [A-Za-z0-9._-] (other characters -> '-',
 * at most 60), or `clip-<id>` when the caller may not see the upload's name (share links) or nothing is left.
 */

export function safeStem(filename: string, clipId: string): string {
  const stem = filename.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const safe = stem
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60)
    .replace(/[-.]+$/g, '');
  return safe || `clip-${clipId}`;
}

export interface NameParts {
  clipId: string;
  /** the upload's file name; null hides it (share viewers) */
  filename: string | null;
  from: number;
  to: number;
  tracks: number[];
  smoothed: boolean;
}

export function exportBaseName(p: NameParts): string {
  const clip = p.filename === null ? `clip-${p.clipId}` : safeStem(p.filename, p.clipId);
  const who = p.tracks.length === 0 ? 'no-athletes' : `${p.tracks.length === 1 ? 'athlete' : 'athletes'}-${p.tracks.join('-')}`;
  return `${clip}_frames-${p.from}-${p.to}_${who}${p.smoothed ? '_smoothed' : ''}`;
}

/** One athlete's file inside a zip (BVH): the base name with that athlete alone. */
export function athleteFileName(p: NameParts, track: number, ext: string): string {
  return `${exportBaseName({ ...p, tracks: [track] })}.${ext}`;
}

/** Content-Disposition for a download (names are ASCII already; quoted, and RFC 5987 form too). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
