'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import type { ClipDTO } from '@/lib/clips/types';
import { Player } from '../player/Player';
import { sourcePlaysInThisBrowser } from '../player/sourcePlayable';
import { useApiUrl, useShareToken } from '../apiUrl';
import { SharePanel } from '../share/SharePanel';
import { formatBytes, formatDuration, formatEta, STAGE_LABEL } from '../format';
import { ClipStats } from './ClipStats';
import { StatusBadge } from './StatusBadge';

const STAGES = ['probing', 'extracting', 'transcoding', 'tracking', 'ingesting'] as const;

/**
 * One clip: live progress while it is queued or processing (Server-Sent Events), the reason and a
 * retry button when it failed, and the player as soon as the first frames are final (it plays them
 * while tracking goes on, and takes new ones as they come) — all without a reload.
 * In share mode (a /s/TOKEN viewer, components/apiUrl.ts) it is the player only: no library link, no
 * cancel/retry/delete, no share panel; every API URL carries the link's token.
 */
export function ClipView({ clipId }: { clipId: string }) {
  const api = useApiUrl();
  const shared = useShareToken() !== null;
  const [clip, setClip] = useState<ClipDTO | null>(null);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const router = useRouter();

  useEffect(() => {
    let closed = false;
    let events: EventSource | null = null;
    const connect = () => {
      events = new EventSource(api(`/api/clips/${clipId}/events`));
      events.addEventListener('clip', (e) => setClip(JSON.parse((e as MessageEvent).data)));
      events.addEventListener('deleted', () => setMissing(true));
      events.onerror = () => {
        // the server closes the stream once the clip is final; a 404 means there is no such clip
        events?.close();
        if (closed) return;
        fetch(api(`/api/clips/${clipId}`)).then(async (r) => {
          if (r.status === 404 || r.status === 401) return setMissing(true);
          if (r.ok) {
            const c: ClipDTO = await r.json();
            setClip(c);
            if (c.status === 'queued' || c.status === 'processing') setTimeout(() => !closed && connect(), 1500);
          }
        });
      };
    };
    connect();
    return () => {
      closed = true;
      events?.close();
    };
  }, [clipId, api]);

  // decided in the browser (canPlayType), after hydration
  const [sourcePlays, setSourcePlays] = useState(false);
  useEffect(() => setSourcePlays(clip ? sourcePlaysInThisBrowser(clip) : false), [clip?.codec, clip?.container]); // eslint-disable-line react-hooks/exhaustive-deps

  const act = async (what: 'retry' | 'cancel' | 'delete') => {
    if (what === 'delete' && !confirm('Delete this clip and its results?')) return;
    setBusy(what);
    setActionError(null);
    const res = await fetch(what === 'delete' ? `/api/clips/${clipId}` : `/api/clips/${clipId}/${what}`, {
      method: what === 'delete' ? 'DELETE' : 'POST',
    });
    setBusy(null);
    if (!res.ok) return setActionError((await res.json().catch(() => ({}))).error ?? `HTTP ${res.status}`);
    if (what === 'delete') return router.push('/');
    setClip(await res.json());
    if (what === 'retry') router.refresh();
  };

  if (missing && shared)
    return (
      <div className="clip-page" data-testid="share-gone">
        <h1>This link no longer works</h1>
        <p>The clip was removed, or its owner revoked the link. Ask the coach who sent it for a new one.</p>
      </div>
    );
  if (missing)
    return (
      <div className="clip-page">
        <p>
          This clip does not exist (any more). <Link href="/">Back to the library</Link>
        </p>
      </div>
    );
  if (!clip) return <div className="clip-page muted">Loading…</div>;

  const active = clip.status === 'queued' || clip.status === 'processing';
  // results while tracking runs: the player opens as soon as the first frames are final and the video
  // plays here (the H.264 copy, or the upload itself while the copy is being made, when this browser can)
  const playable = clip.status === 'done' || (clip.status === 'processing' && clip.finalFrames > 0 && (clip.playableCopy || sourcePlays));
  return (
    <div className="clip-page">
      <div className="clip-header">
        <div>
          {!shared && (
            <Link href="/" className="muted">
              ← Library
            </Link>
          )}
          <h1 title={clip.filename}>{clip.filename ?? 'Shared clip'}</h1>
          <div className="meta">
            <StatusBadge clip={clip} />
            <span>{clip.width && clip.height ? `${clip.width}×${clip.height}` : ''}</span>
            <span>{clip.fps ? `${clip.fps.toFixed(clip.fps % 1 ? 2 : 0)} fps` : ''}</span>
            <span>{clip.frameCount ? `${clip.frameCount} frames` : ''}</span>
            <span>{formatDuration(clip.duration)}</span>
            <span>{clip.codec ?? ''}</span>
            <span>{formatBytes(clip.sizeBytes)}</span>
            {clip.runner && <span className="runner">pose by {clip.runner === 'phalp' ? 'PHALP (4D-Humans, GPU)' : 'built-in CPU model (BlazePose)'}</span>}
            {clip.reusedFrom && <span title={`same content as clip ${clip.reusedFrom}`}>results re-used from an identical upload</span>}
          </div>
          {clip.runnerNote && <div className="note">{clip.runnerNote}</div>}
        </div>
        {!shared && (
        <div className="actions">
          {active && (
            <button onClick={() => act('cancel')} disabled={!!busy}>
              Cancel
            </button>
          )}
          {(clip.status === 'failed' || clip.status === 'canceled') && (
            <button className="primary" onClick={() => act('retry')} disabled={!!busy} data-testid="retry-button">
              Retry
            </button>
          )}
          <button className="danger" onClick={() => act('delete')} disabled={!!busy}>
            Delete
          </button>
        </div>
        )}
      </div>
      {actionError && <div className="error">{actionError}</div>}

      {active && <JobProgress clip={clip} />}
      {clip.status === 'failed' && (
        <div className="failure" role="alert">
          <h2>Processing failed</h2>
          <p>{clip.error}</p>
          {clip.logTail?.length > 0 && (
            <details open>
              <summary>Last lines of the output</summary>
              <pre className="log">{clip.logTail.join('\n')}</pre>
            </details>
          )}
        </div>
      )}
      {playable ? (
        <>
          {/* the same element while processing and once done: the player stays open, with what it holds */}
          <Player clip={clip} />
          {clip.status === 'done' && <ClipStats clip={clip} />}
          {!shared && <SharePanel clipId={clip.id} />}
        </>
      ) : (
        <video className="preview-video" data-testid="video" src={api(`/api/clips/${clip.id}/video`)} controls playsInline preload="metadata" />
      )}
    </div>
  );
}

function JobProgress({ clip }: { clip: ClipDTO }) {
  const current = STAGES.find((s) => s === clip.stage) ?? null;
  return (
    <section className="job">
      <div className="job-line">
        <strong>{clip.status === 'queued' ? 'Waiting in queue' : STAGE_LABEL[clip.stage ?? ''] ?? clip.stage}</strong>
        {clip.status === 'queued' && clip.queuePosition !== null && <span> · position {clip.queuePosition}</span>}
        <span className="pct">{Math.round(clip.progress * 100)}%</span>
        <span className="muted">{formatEta(clip.etaSeconds)}</span>
      </div>
      <progress data-testid="job-progress" max={1} value={clip.progress} />
      <ol className="stages">
        {STAGES.map((s) => (
          <li key={s} className={s === current ? 'current' : current && STAGES.indexOf(s) < STAGES.indexOf(current) ? 'past' : ''}>
            {STAGE_LABEL[s]}
          </li>
        ))}
      </ol>
      {clip.logTail?.length > 0 && <pre className="log">{clip.logTail.slice(-8).join('\n')}</pre>}
    </section>
  );
}
