/**
 * Playback state of the player, outside React: the video's frame callback writes the current frame
 * many times a second, and the 3D scene reads it without re-rendering React. Components subscribe
 * through useSyncExternalStore.
 */
import { clampFrame } from './frameTime';

export type CameraPreset = 'front' | 'side' | 'top' | 'video';

export interface PlaybackState {
  frame: number;
  playing: boolean;
  speed: number;
  loopIn: number | null;
  loopOut: number | null;
  hiddenTracks: ReadonlySet<number>;
  focusTrack: number | null;
  showMesh: boolean;
  showSkeleton: boolean;
  showOverlay: boolean;
  preset: CameraPreset;
  /** show the smoothed sequence (lib/pose/smooth.ts) instead of the runner's raw one */
  smoothed: boolean;
  /** angles picked in the Angles panel (lib/pose/angles.ts names): charted, and drawn as arcs when paused */
  angles: readonly string[];
  /** athletes picked in the Angles panel; null = every track */
  angleTracks: readonly number[] | null;
}

/** The angles a coach sees first: the knees, the joints of a jump or a sprint stride. */
export const DEFAULT_ANGLES: readonly string[] = ['left_knee_flexion', 'right_knee_flexion'];

export const SPEEDS = [0.1, 0.25, 0.5, 1, 1.5, 2] as const;
export const MIN_SPEED = 0.1;
export const MAX_SPEED = 2;

export function clampSpeed(speed: number): number {
  if (!Number.isFinite(speed)) return 1;
  return Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed));
}

export class PlaybackStore {
  private state: PlaybackState;
  private listeners = new Set<() => void>();

  constructor(readonly frameCount: number, initial: Partial<PlaybackState> = {}) {
    this.state = {
      frame: 0, playing: false, speed: 1, loopIn: null, loopOut: null, hiddenTracks: new Set(), focusTrack: null,
      showMesh: true, showSkeleton: true, showOverlay: true, preset: 'front',
      smoothed: true, angles: DEFAULT_ANGLES, angleTracks: null, ...initial,
    };
  }

  get = (): PlaybackState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  update(patch: Partial<PlaybackState>): void {
    const next = { ...this.state, ...patch };
    if (patch.frame !== undefined) next.frame = clampFrame(patch.frame, this.frameCount);
    if (patch.speed !== undefined) next.speed = clampSpeed(patch.speed);
    if (shallowEqual(next, this.state)) return;
    this.state = next;
    for (const l of this.listeners) l();
  }

  toggleTrack(trackId: number): void {
    const hidden = new Set(this.state.hiddenTracks);
    if (hidden.has(trackId)) hidden.delete(trackId);
    else hidden.add(trackId);
    this.update({ hiddenTracks: hidden, focusTrack: hidden.has(trackId) && this.state.focusTrack === trackId ? null : this.state.focusTrack });
  }

  /** In/out marks; marks that cross are swapped so the loop is always in <= out. */
  setMark(which: 'in' | 'out', frame: number | null): void {
    let loopIn = which === 'in' ? frame : this.state.loopIn;
    let loopOut = which === 'out' ? frame : this.state.loopOut;
    if (loopIn !== null && loopOut !== null && loopIn > loopOut) [loopIn, loopOut] = [loopOut, loopIn];
    this.update({ loopIn, loopOut });
  }

  /** Picks or unpicks an angle for the Angles panel (and the arcs). */
  toggleAngle(name: string): void {
    const { angles } = this.state;
    this.update({ angles: angles.includes(name) ? angles.filter((a) => a !== name) : [...angles, name] });
  }

  /** Picks or unpicks an athlete for the Angles panel; `all` is every track of the clip (angleTracks null = all). */
  toggleAngleTrack(trackId: number, all: readonly number[]): void {
    const picked = this.state.angleTracks ?? all;
    this.update({ angleTracks: picked.includes(trackId) ? picked.filter((t) => t !== trackId) : [...picked, trackId].sort((a, b) => a - b) });
  }

  /** The playback range: the loop when both marks are set, else the whole clip. */
  range(): [number, number] {
    const { loopIn, loopOut } = this.state;
    return [loopIn ?? 0, loopOut ?? this.frameCount - 1];
  }
}

function shallowEqual(a: PlaybackState, b: PlaybackState): boolean {
  for (const k of Object.keys(a) as (keyof PlaybackState)[]) if (a[k] !== b[k]) return false;
  return true;
}

export type KeyAction =
  | { type: 'toggle-play' }
  | { type: 'step'; frames: number }
  | { type: 'mark'; which: 'in' | 'out' }
  | { type: 'speed'; direction: 1 | -1 };

/** Kinovea/Dartfish-style keys: space play/pause, arrows one frame, shift+arrows ten, [ and ] marks. */
export function keyAction(e: { key: string; shiftKey: boolean }): KeyAction | null {
  switch (e.key) {
    case ' ':
    case 'k':
      return { type: 'toggle-play' };
    case 'ArrowRight':
      return { type: 'step', frames: e.shiftKey ? 10 : 1 };
    case 'ArrowLeft':
      return { type: 'step', frames: e.shiftKey ? -10 : -1 };
    case '[':
      return { type: 'mark', which: 'in' };
    case ']':
      return { type: 'mark', which: 'out' };
    case '+':
    case '=':
      return { type: 'speed', direction: 1 };
    case '-':
      return { type: 'speed', direction: -1 };
    default:
      return null;
  }
}

/** The next speed step up or down in SPEEDS. */
export function stepSpeed(speed: number, direction: 1 | -1): number {
  if (direction > 0) return SPEEDS.find((s) => s > speed + 1e-9) ?? MAX_SPEED;
  return [...SPEEDS].reverse().find((s) => s < speed - 1e-9) ?? MIN_SPEED;
}
