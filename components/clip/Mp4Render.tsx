'use client';

import { useEffect, useRef, useState } from 'react';
import styles from './download.module.css';

/**
 * The Download menu's MP4 choice: the video is rendered by a worker (lib/export/mp4.ts), so instead of a
 * plain link this asks the export URL, shows the render's progress from its 202 answers (polled once a
 * second), and once the answer is 200 offers the file as a download link (the same URL: the server then
 * serves the stored render). Another choice (a new URL) starts over.
 */
type State =
  | { kind: 'idle' }
  | { kind: 'rendering'; status: string; progress: number; note?: string }
  | { kind: 'ready' }
  | { kind: 'error'; message: string };

const POLL_MS = 1000;

export function Mp4Render({ href, disabled }: { href: string; disabled: boolean }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const run = useRef<AbortController | null>(null);

  // a different file asked for: forget the previous render's state
  useEffect(() => {
    setState({ kind: 'idle' });
    return () => run.current?.abort();
  }, [href]);

  const start = async () => {
    run.current?.abort();
    const ctl = new AbortController();
    run.current = ctl;
    setState({ kind: 'rendering', status: 'queued', progress: 0 });
    try {
      for (;;) {
        const res = await fetch(href, { signal: ctl.signal, cache: 'no-store' });
        if (res.status === 202) {
          const body = (await res.json()) as { status: string; progress: number; note?: string };
          setState({ kind: 'rendering', status: body.status, progress: body.progress ?? 0, note: body.note });
          await new Promise((r) => setTimeout(r, POLL_MS));
          if (ctl.signal.aborted) return;
          continue;
        }
        if (res.ok) {
          // the file is there: the link below downloads it (the body here is not needed)
          ctl.abort();
          setState({ kind: 'ready' });
          return;
        }
        const err = (await res.json().catch(() => null)) as { error?: string } | null;
        setState({ kind: 'error', message: err?.error ?? `the server answered ${res.status}` });
        return;
      }
    } catch (e) {
      if (!ctl.signal.aborted) setState({ kind: 'error', message: (e as Error).message });
    }
  };

  if (state.kind === 'ready') {
    return (
      <a className={styles.link} href={href} download data-testid="download-link">
        Download MP4
      </a>
    );
  }
  const busy = state.kind === 'rendering';
  return (
    <>
      <button type="button" className={styles.link} onClick={() => void start()} disabled={disabled || busy} aria-disabled={disabled || busy} data-testid="mp4-render">
        {busy ? 'Rendering…' : 'Render MP4'}
      </button>
      {busy && (
        <span className={styles.hint} data-testid="mp4-progress" role="status">
          <progress max={1} value={state.progress} /> {state.status === 'queued' ? 'waiting for a worker' : `${Math.round(state.progress * 100)} %`}
          {state.note ? ` (${state.note})` : ''}
        </span>
      )}
      {state.kind === 'error' && (
        <span className={styles.hint} role="alert" data-testid="mp4-error">
          The video could not be made: {state.message}
        </span>
      )}
    </>
  );
}
