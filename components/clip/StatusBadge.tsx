import type { ClipDTO } from '@/lib/clips/types';
import { STAGE_LABEL } from '../format';

export function StatusBadge({ clip }: { clip: Pick<ClipDTO, 'status' | 'stage'> }) {
  return (
    <span className={`badge badge-${clip.status}`} data-testid="clip-status" data-status={clip.status}>
      {clip.status}
      {clip.status === 'processing' && clip.stage ? ` · ${STAGE_LABEL[clip.stage] ?? clip.stage}` : ''}
    </span>
  );
}

/** Detected share of the clip's frames for its best-covered track, as a small bar. */
export function CoverageBar({ clip }: { clip: ClipDTO }) {
  const tracks = clip.stats?.tracks ?? [];
  const frames = clip.frameCount ?? 0;
  if (!tracks.length || !frames) return <span className="muted">{clip.status === 'done' ? 'nobody found' : '–'}</span>;
  const best = [...tracks].sort((a, b) => b.detected - a.detected)[0];
  const pct = (n: number) => `${((n / frames) * 100).toFixed(1)}%`;
  return (
    <span className="coverage" title={`${tracks.length} track(s); best: ${best.detected} detected, ${best.held} held, ${best.interpolated} interpolated of ${frames} frames`}>
      <span className="coverage-bar">
        <span className="seg-detected" style={{ width: pct(best.detected) }} />
        <span className="seg-held" style={{ width: pct(best.held + best.interpolated) }} />
      </span>
      {pct(best.detected)} · {tracks.length} {tracks.length === 1 ? 'person' : 'people'}
    </span>
  );
}
