import { describe, expect, it } from 'vitest';
import { DEFAULT_ANGLES, PlaybackStore, clampSpeed, keyAction, stepSpeed } from '../../lib/viewer/playback';

describe('playback state', () => {
  it('clamps frames and speed, notifies only on change', () => {
    const store = new PlaybackStore(100);
    let calls = 0;
    store.subscribe(() => calls++);
    store.update({ frame: 150 });
    expect(store.get().frame).toBe(99);
    store.update({ frame: 99 });
    expect(calls).toBe(1);
    store.update({ speed: 5 });
    expect(store.get().speed).toBe(2);
    expect(clampSpeed(0.01)).toBe(0.1);
  });

  it('sets loop marks in order and reports the range', () => {
    const store = new PlaybackStore(100);
    expect(store.range()).toEqual([0, 99]);
    store.setMark('in', 60);
    store.setMark('out', 20);
    expect(store.range()).toEqual([20, 60]);
  });

  it('hides tracks and drops focus on a hidden track', () => {
    const store = new PlaybackStore(10, { focusTrack: 2 });
    store.toggleTrack(2);
    expect(store.get().hiddenTracks.has(2)).toBe(true);
    expect(store.get().focusTrack).toBeNull();
    store.toggleTrack(2);
    expect(store.get().hiddenTracks.has(2)).toBe(false);
  });

  it('shows smoothed poses and the knee angles first; picks angles and athletes', () => {
    const store = new PlaybackStore(10);
    expect(store.get().smoothed).toBe(true);
    expect(store.get().angles).toEqual(DEFAULT_ANGLES);
    expect(store.get().angleTracks).toBeNull();
    store.toggleAngle('left_knee_flexion');
    store.toggleAngle('trunk_lean');
    expect(store.get().angles).toEqual(['right_knee_flexion', 'trunk_lean']);
    // athletes: null means all; unpicking one leaves the others, picking keeps id order
    store.toggleAngleTrack(2, [1, 2, 3]);
    expect(store.get().angleTracks).toEqual([1, 3]);
    store.toggleAngleTrack(2, [1, 2, 3]);
    expect(store.get().angleTracks).toEqual([1, 2, 3]);
  });

  it('maps coach keys', () => {
    expect(keyAction({ key: ' ', shiftKey: false })).toEqual({ type: 'toggle-play' });
    expect(keyAction({ key: 'ArrowRight', shiftKey: false })).toEqual({ type: 'step', frames: 1 });
    expect(keyAction({ key: 'ArrowLeft', shiftKey: true })).toEqual({ type: 'step', frames: -10 });
    expect(keyAction({ key: '[', shiftKey: false })).toEqual({ type: 'mark', which: 'in' });
    expect(keyAction({ key: 'x', shiftKey: false })).toBeNull();
    expect(stepSpeed(1, 1)).toBe(1.5);
    expect(stepSpeed(0.1, -1)).toBe(0.1);
    expect(stepSpeed(2, 1)).toBe(2);
    expect(stepSpeed(0.5, -1)).toBe(0.25);
  });
});
