import type { ClipDTO } from '@/lib/clips/types';
import type { LostSpan } from '@/lib/pose/types';

const REASON: Record<LostSpan['reason'], string> = {
  before_confirmation: 'before the track was confirmed',
  not_matched: 'no detection matched',
  after_end: 'after the track ended',
};

function spanText(s: LostSpan): string {
  const frames = s.from === s.to ? `frame ${s.from}` : `frames ${s.from}–${s.to}`;
  return `${frames}: ${s.shown_as} (${REASON[s.reason]})`;
}

/** What the job found: per-track coverage and why frames were not detected, and where the time went. */
export function ClipStats({ clip }: { clip: ClipDTO }) {
  const stats = clip.stats;
  if (!stats) return null;
  const frames = clip.frameCount ?? 0;
  const pct = (n: number) => (frames ? `${((n / frames) * 100).toFixed(1)}%` : '–');
  const stageSeconds = Object.entries(stats.stageSeconds ?? {});
  return (
    <section className="stats" data-testid="clip-stats">
      <h2>Tracking results</h2>
      {stats.tracks.length === 0 ? (
        <p className="muted">Nobody was found in this clip.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Athlete</th>
              <th>Frames</th>
              <th>Detected</th>
              <th>Held</th>
              <th>Interpolated</th>
              <th>Missing</th>
              <th>Mean detector score</th>
              <th>Not detected</th>
            </tr>
          </thead>
          <tbody>
            {stats.tracks.map((t) => {
              const lost = t.lost.filter((s) => s.reason !== 'before_confirmation' && s.reason !== 'after_end');
              return (
                <tr key={t.track_id} data-track={t.track_id}>
                  <td>#{t.track_id}</td>
                  <td>
                    {t.first_frame}–{t.last_frame}
                  </td>
                  <td>
                    {t.detected} <span className="muted">({pct(t.detected)})</span>
                  </td>
                  <td>{t.held}</td>
                  <td>{t.interpolated}</td>
                  <td>{t.missing}</td>
                  <td>{t.mean_confidence === null ? '–' : t.mean_confidence.toFixed(2)}</td>
                  <td className="lost">
                    {lost.length === 0 ? <span className="muted">none inside the track</span> : lost.slice(0, 4).map((s) => <div key={s.from}>{spanText(s)}</div>)}
                    {lost.length > 4 && <div className="muted">and {lost.length - 4} more gaps</div>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {stageSeconds.length > 0 && (
        <p className="muted stage-times">
          Processing time: {stageSeconds.map(([stage, s]) => `${stage} ${s.toFixed(1)} s`).join(' · ')}
        </p>
      )}
    </section>
  );
}
