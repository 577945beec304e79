/** Exact metadata of a video, from ffprobe (frames counted by decoding, not estimated). */
export interface VideoInfo {
  width: number; // display width (after rotation)
  height: number; // display height (after rotation)
  codedWidth: number;
  codedHeight: number;
  rotation: number; // degrees, 0/90/180/270, as the container asks the player to rotate
  fps: number; // average frame rate = frameCount / duration, exact for constant-rate clips
  rFrameRate: string; // ffprobe r_frame_rate, e.g. "30/1"
  avgFrameRate: string;
  frameCount: number; // decoded frames
  duration: number; // seconds
  codec: string; // e.g. h264, vp9, hevc
  pixFmt: string;
  container: string; // format_name
  variableFrameRate: boolean;
  /** true when Chrome and Safari both play the file as is (H.264/AAC in MP4 with yuv420p, ...) */
  browserPlayable: boolean;
  /**
   * Set by validateVideo's quick look (no decoding): frameCount, fps and variableFrameRate are the
   * container's own figures, not counted. probeVideo's default result never has it.
   */
  estimated?: true;
}

/** frames.json: one entry per extracted frame, in order; frame i is frames/<%06d of i>.jpg. */
export interface FrameIndex {
  frameCount: number;
  width: number;
  height: number;
  fps: number;
  /** presentation time in seconds of each frame, relative to the first frame (pts[0] == 0) */
  pts: number[];
  /**
   * presentation time in seconds of frame 0 in the source file (usually 0; phone clips and MP4 edit
   * lists can start later). The transcoded playable copy always starts at 0.
   */
  startTime?: number;
}
