'use client';

import { useCallback, useRef, useState } from 'react';
import type { ClipDTO } from '@/lib/clips/types';
import { formatBytes } from '../format';

interface UploadState {
  name: string;
  loaded: number;
  total: number;
  error: string | null;
  done: boolean;
}

/**
 * Pick or drop a clip; it is sent with XMLHttpRequest so the page can show real upload progress
 * (fetch has no upload progress events). The body is the file itself (its name in X-Filename), so the
 * server has no multipart framing to parse; it streams the bytes to storage, so large files are fine.
 */
export function Uploader({ onUploaded }: { onUploaded: (clip: ClipDTO) => void }) {
  const [state, setState] = useState<UploadState | null>(null);
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  const upload = useCallback(
    (file: File) => {
      const xhr = new XMLHttpRequest();
      setState({ name: file.name, loaded: 0, total: file.size, error: null, done: false });
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) setState((s) => s && { ...s, loaded: e.loaded, total: e.total });
      };
      xhr.onload = () => {
        let body: { error?: string } & Partial<ClipDTO> = {};
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          /* not JSON */
        }
        if (xhr.status === 201) {
          // keep the finished bar visible: the clip below now shows its processing status
          setState((s) => s && { ...s, loaded: s.total, done: true });
          onUploaded(body as ClipDTO);
        } else {
          setState((s) => s && { ...s, error: body.error ?? `Upload failed (HTTP ${xhr.status}).` });
        }
        if (inputRef.current) inputRef.current.value = '';
      };
      xhr.onerror = () => setState((s) => s && { ...s, error: 'The connection to the server was lost during the upload.' });
      xhr.open('POST', '/api/clips');
      // a file of another type is still sent: the server looks at the bytes and says what they are
      xhr.setRequestHeader('Content-Type', file.type.startsWith('video/') ? file.type : 'application/octet-stream');
      xhr.setRequestHeader('X-Filename', encodeURIComponent(file.name));
      xhr.send(file);
    },
    [onUploaded],
  );

  const pct = state && state.total ? Math.round((state.loaded / state.total) * 100) : 0;
  return (
    <section
      className={`dropzone${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const file = e.dataTransfer.files[0];
        if (file) upload(file);
      }}
    >
      <div className="dropzone-text">
        <strong>Drop a clip here</strong> or{' '}
        <label className="link-button">
          choose a file
          <input
            ref={inputRef}
            data-testid="upload-input"
            type="file"
            accept="video/*,.mp4,.mov,.m4v,.webm,.mkv,.avi"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) upload(file);
            }}
            hidden
          />
        </label>
        <div className="muted">MP4, MOV, WebM… from a phone or camera. The body tracking runs on the server.</div>
      </div>
      {state && (
        <div className="upload-status">
          <div className="upload-name">
            {state.name} —{' '}
            {state.done
              ? `uploaded (${formatBytes(state.total)}); processing below`
              : state.error
                ? 'not accepted'
                : state.loaded >= state.total && state.total > 0
                  ? 'sent; checking that it is a complete video…'
                  : `${formatBytes(state.loaded)} of ${formatBytes(state.total)}`}
          </div>
          <progress data-testid="upload-progress" max={100} value={pct} aria-label="upload progress" />
          <span className="pct">{pct}%</span>
          {state.error && (
            <div className="error" role="alert">
              {state.error}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
