/**
 * Keeps the video and the playback store on the same frame. The video is the clock: while it plays,
 * requestVideoFrameCallback reports the media time of each presented frame and the store follows it;
 * every user seek goes through seekFrame(), which moves the store first and then seeks the video to
 * the middle of that frame's display interval (lib/viewer/frameTime.ts).
 *
 * While the clip is processing, frames from `pendingFrom` on are placeholders (still being tracked):
 * playback stops at the last final frame (the video is paused there, the store never shows a
 * placeholder while playing) and goes on by itself once more frames are final or the clip is done.
 */
import { clampFrame, frameAtTime, seekTimeForFrame } from '@/lib/viewer/frameTime';
import { PlaybackStore, stepSpeed } from '@/lib/viewer/playback';

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: { mediaTime: number }) => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

export class PlayerController {
  private video: FrameCallbackVideo | null = null;
  private detach: (() => void) | null = null;
  /** called with each frame the video presents (requestVideoFrameCallback), before the store follows it */
  onPresented: ((frame: number) => void) | null = null;
  /** first frame that is not final yet (null: every frame is) */
  private pendingFrom: number | null = null;
  /** playback reached the last final frame and waits there for more */
  private waitingAtEdge = false;
  /** the element is loading a new source (sourceChanging); its time says nothing until it has loaded */
  private reloading = false;

  constructor(
    readonly store: PlaybackStore,
    private timestamps: ArrayLike<number>,
    private readonly fps: number,
  ) {}

  setTimestamps(ts: ArrayLike<number>): void {
    this.timestamps = ts;
  }

  /** Frames from `from` on are not final yet (null: all are); a playback waiting at the edge goes on when it moves. */
  setPendingFrom(from: number | null): void {
    this.pendingFrom = from;
    if (!this.waitingAtEdge) return;
    if (from !== null && from <= this.store.get().frame + 1) return; // nothing new to play yet
    this.waitingAtEdge = false;
    const v = this.video;
    if (v?.paused) {
      v.playbackRate = this.store.get().speed;
      void v.play().catch(() => this.store.update({ playing: false }));
    }
  }

  /** true while playback waits at the last final frame for more (processing clip) */
  isWaitingAtEdge(): boolean {
    return this.waitingAtEdge;
  }

  /** true while the video element loads a new source (sourceChanging) */
  isReloading(): boolean {
    return this.reloading;
  }

  /**
   * The video element is about to load a new source (the playable copy replacing the upload while
   * tracking runs). Until it has loaded, its time (0) is ignored: the store keeps its frame. The returned
   * function, called when the new source has its first frame, puts the video on that frame again and
   * plays on if it played; playback that waited at the edge of the final frames keeps waiting.
   */
  sourceChanging(): () => void {
    const { frame, playing } = this.store.get();
    this.reloading = true;
    return () => {
      this.reloading = false;
      const v = this.video;
      if (!v) return;
      this.moveTo(this.waitingAtEdge && this.pendingFrom !== null ? this.pendingFrom - 1 : frame);
      if (playing && !this.waitingAtEdge && v.paused) {
        v.playbackRate = this.store.get().speed;
        void v.play().catch(() => this.store.update({ playing: false }));
      }
    };
  }

  /** The frame the video element is at now (from its currentTime). */
  videoFrame(): number {
    return this.video ? frameAtTime(this.timestamps, this.video.currentTime) : 0;
  }

  attach(video: HTMLVideoElement): void {
    this.detach?.();
    const v = video as FrameCallbackVideo;
    this.video = v;
    let handle = 0;
    let raf = 0;
    const follow = (mediaTime: number) => {
      // a seek is on its way (the store already shows its target), or a new source is loading
      if (v.seeking || this.reloading) return;
      const f = frameAtTime(this.timestamps, mediaTime);
      const { playing } = this.store.get();
      const edge = this.pendingFrom;
      if (edge !== null && f >= edge && (playing || !v.paused)) {
        // the next frame is a placeholder: stop on the last final one and wait for more
        this.waitingAtEdge = true;
        v.pause();
        this.moveTo(edge - 1);
        return;
      }
      const [from, to] = this.store.range();
      const looping = this.store.get().loopIn !== null && this.store.get().loopOut !== null;
      if (playing && looping && (f > to || f < from)) {
        this.seekFrame(from);
        return;
      }
      this.store.update({ frame: f });
    };
    if (v.requestVideoFrameCallback) {
      const onFrame = (_now: number, meta: { mediaTime: number }) => {
        if (!v.seeking) this.onPresented?.(frameAtTime(this.timestamps, meta.mediaTime));
        follow(meta.mediaTime);
        handle = v.requestVideoFrameCallback!(onFrame);
      };
      handle = v.requestVideoFrameCallback(onFrame);
    } else {
      // Browsers without the frame callback: poll currentTime once per animation frame.
      const poll = () => {
        follow(v.currentTime);
        raf = requestAnimationFrame(poll);
      };
      raf = requestAnimationFrame(poll);
    }
    const onPlay = () => this.store.update({ playing: true });
    const onPause = () => {
      if (this.reloading) return; // the new source's load stopped it; sourceChanging's restore decides
      if (this.waitingAtEdge && this.pendingFrom !== null) {
        // still "playing" for the coach (the pause button stays): it goes on when more frames are final
        this.moveTo(this.pendingFrom - 1);
        return;
      }
      this.store.update({ playing: false });
      // Land exactly on the frame on screen so counter, video and 3D agree while paused.
      if (!v.ended) this.moveTo(this.videoFrame());
    };
    const onEnded = () => this.store.update({ playing: false, frame: this.timestamps.length - 1 });
    v.addEventListener('play', onPlay);
    v.addEventListener('pause', onPause);
    v.addEventListener('ended', onEnded);
    v.playbackRate = this.store.get().speed;
    this.detach = () => {
      if (handle && v.cancelVideoFrameCallback) v.cancelVideoFrameCallback(handle);
      if (raf) cancelAnimationFrame(raf);
      v.removeEventListener('play', onPlay);
      v.removeEventListener('pause', onPause);
      v.removeEventListener('ended', onEnded);
    };
  }

  dispose(): void {
    this.detach?.();
    this.detach = null;
    this.video = null;
  }

  /** A seek asked for by the user (or a test): playback no longer waits at the edge of the final frames. */
  seekFrame(frame: number): void {
    if (this.waitingAtEdge) {
      this.waitingAtEdge = false;
      this.store.update({ playing: false });
    }
    this.moveTo(frame);
  }

  private moveTo(frame: number): void {
    const f = clampFrame(frame, this.store.frameCount);
    this.store.update({ frame: f });
    if (this.video) this.video.currentTime = seekTimeForFrame(this.timestamps, f, this.fps);
  }

  step(frames: number): void {
    if (this.store.get().playing) this.video?.pause();
    this.seekFrame(this.store.get().frame + frames);
  }

  togglePlay(): void {
    const v = this.video;
    if (!v) return;
    if (!v.paused) {
      v.pause();
      return;
    }
    if (this.waitingAtEdge) {
      // pause pressed while playback waits for more final frames: it no longer goes on by itself
      this.waitingAtEdge = false;
      this.store.update({ playing: false });
      return;
    }
    const [from, to] = this.store.range();
    const f = this.store.get().frame;
    if (f >= to || f < from) this.seekFrame(from);
    v.playbackRate = this.store.get().speed;
    void v.play().catch(() => this.store.update({ playing: false }));
  }

  setSpeed(speed: number): void {
    this.store.update({ speed });
    if (this.video) this.video.playbackRate = this.store.get().speed;
  }

  stepSpeed(direction: 1 | -1): void {
    this.setSpeed(stepSpeed(this.store.get().speed, direction));
  }
}
