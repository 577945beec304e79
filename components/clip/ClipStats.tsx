import type { ClipDTO } from '@/lib/clips/types';
import type { TrackAnalysis } from '@/lib/pose/analysis';
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

const num = (v: number | null | undefined, digits: number) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** Jitter raw -> smoothed (median joint acceleration, % of box height per frame², lib/pose/jitter.ts) and breaks. */
function AnalysisCells({ a }: { a: TrackAnalysis | undefined }) {
  if (!a) return <><td>–</td><td>–</td></>;
  return (
    <>
      <td data-testid="jitter" data-raw={a.jitter_raw ?? ''} data-smoothed={a.jitter_smoothed ?? ''}
        title={`3D: ${num(a.jitter_3d_mm_raw, 1)} → ${num(a.jitter_3d_mm_smoothed, 1)} mm/frame²`}>
        {num(a.jitter_raw, 2)} → <b>{num(a.jitter_smoothed, 2)}</b> <span className="muted">%</span>
      </td>
      <td title={a.breaks.slice(0, 8).map((b) => `frame ${b.frame}: ${b.reason} (${b.detail})`).join('\n')}>{a.breaks.length}</td>
    </>
  );
}

/** What the job found: per-track coverage and why frames were not detected, and where the time went. */
export function ClipStats({ clip }: { clip: ClipDTO }) {
  const stats = clip.stats;
  if (!stats) return null;
  const frames = clip.frameCount ?? 0;
  const pct = (n: number) => (frames ? `${((n / frames) * 100).toFixed(1)}%` : '–');
  const stageSeconds = Object.entries(stats.stageSeconds ?? {});
  // written by the worker after ingest (lib/pose/analysis.ts); older clips have none
  const analysis = stats.analysis;
  const analysisByTrack = new Map(analysis?.tracks.map((t) => [t.track_id, t]) ?? []);
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
              {analysis && <th title="median joint acceleration, % of the body's box height per frame², before and after zero-lag smoothing">Jitter raw → smoothed</th>}
              {analysis && <th title="frames where the track broke temporal coherence: limb swap, teleport, implausible bone length">Coherence breaks</th>}
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
                  {analysis && <AnalysisCells a={analysisByTrack.get(t.track_id)} />}
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
