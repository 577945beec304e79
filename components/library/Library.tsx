'use client';

import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import type { ClipDTO } from '@/lib/clips/types';
import { CoverageBar, StatusBadge } from '../clip/StatusBadge';
import { formatDuration, formatEta } from '../format';
import { Uploader } from './Uploader';

/** The library: upload, and every clip with its live status (Server-Sent Events, no reload). */
export function Library() {
  const [clips, setClips] = useState<ClipDTO[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const upsert = useCallback((clip: ClipDTO) => {
    setClips((list) => {
      const rest = (list ?? []).filter((c) => c.id !== clip.id);
      return [clip, ...rest].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    });
  }, []);

  useEffect(() => {
    fetch('/api/clips')
      .then(async (r) => {
        if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error ?? `HTTP ${r.status}`);
        return r.json();
      })
      .then((body: { clips: ClipDTO[] }) => setClips((list) => mergeLists(body.clips, list)))
      .catch((e: Error) => setError(`Could not load the library: ${e.message}`));
    const events = new EventSource('/api/events');
    events.addEventListener('clip', (e) => upsert(JSON.parse((e as MessageEvent).data)));
    events.addEventListener('deleted', (e) => {
      const { id } = JSON.parse((e as MessageEvent).data);
      setClips((list) => (list ?? []).filter((c) => c.id !== id));
    });
    return () => events.close();
  }, [upsert]);

  return (
    <div className="library">
      <h1>Your clips</h1>
      <Uploader onUploaded={upsert} />
      {error && <div className="error">{error}</div>}
      {clips && clips.length === 0 && <p className="muted">No clips yet. Upload one to see the athlete’s motion in 3D.</p>}
      <ul className="clip-list">
        {(clips ?? []).map((clip) => (
          <li key={clip.id} className="clip-row" data-clip-id={clip.id}>
            <Link href={`/clips/${clip.id}`} className="clip-link">
              <span className="thumb">
                {/* eslint-disable-next-line @next/next/no-img-element */}
                {clip.stage !== 'uploaded' && clip.stage !== 'probing' && clip.stage !== 'extracting' && (
                  <img
                    key={clip.stage ?? ''}
                    src={`/api/clips/${clip.id}/thumbnail`}
                    alt=""
                    onError={(e) => ((e.target as HTMLImageElement).style.visibility = 'hidden')}
                  />
                )}
              </span>
              <span className="clip-name">{clip.filename}</span>
              <StatusBadge clip={clip} />
              <span className="clip-progress">
                {(clip.status === 'processing' || clip.status === 'queued') && (
                  <>
                    <progress data-testid="job-progress" max={1} value={clip.progress} />
                    <span className="pct">{Math.round(clip.progress * 100)}%</span>
                    <span className="muted"> {formatEta(clip.etaSeconds)}</span>
                  </>
                )}
                {clip.status === 'failed' && <span className="error-inline">{clip.error}</span>}
              </span>
              <span className="clip-duration">{formatDuration(clip.duration)}</span>
              <CoverageBar clip={clip} />
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

function mergeLists(fetched: ClipDTO[], live: ClipDTO[] | null): ClipDTO[] {
  const byId = new Map(fetched.map((c) => [c.id, c]));
  for (const c of live ?? []) {
    const f = byId.get(c.id);
    if (!f || c.updatedAt > f.updatedAt) byId.set(c.id, c);
  }
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
