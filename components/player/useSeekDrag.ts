'use client';

import { useCallback, useRef, type PointerEvent as ReactPointerEvent } from 'react';

export interface SeekHover {
  x: number;
  y: number;
  frame: number;
}

/** Pointer handlers for a lane that spans the whole clip left to right: press, drag or click seeks. */
export interface SeekDragHandlers {
  onPointerDown: (e: ReactPointerEvent<HTMLElement>) => void;
  onPointerMove: (e: ReactPointerEvent<HTMLElement>) => void;
  onPointerUp: () => void;
  onPointerCancel: () => void;
  onPointerLeave: () => void;
}

/**
 * Click or drag anywhere on an element spanning frames 0..frameCount-1 seeks to the frame under the
 * pointer (the timeline rows and the angle charts share this). `onHover` gets the frame under the
 * pointer for a tooltip (null when it leaves).
 */
export function useSeekDrag(frameCount: number, onSeek: (frame: number) => void, onHover?: (hover: SeekHover | null) => void): SeekDragHandlers {
  const dragging = useRef(false);
  const frameAt = useCallback((e: ReactPointerEvent<HTMLElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return Math.min(frameCount - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * frameCount)));
  }, [frameCount]);
  return {
    onPointerDown: (e) => {
      dragging.current = true;
      e.currentTarget.setPointerCapture(e.pointerId);
      onSeek(frameAt(e));
    },
    onPointerMove: (e) => {
      const f = frameAt(e);
      onHover?.({ x: e.clientX, y: e.clientY, frame: f });
      if (dragging.current) onSeek(f);
    },
    onPointerUp: () => void (dragging.current = false),
    onPointerCancel: () => void (dragging.current = false),
    onPointerLeave: () => onHover?.(null),
  };
}
