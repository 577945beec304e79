/**
 * The MP4 export's overlay, as an ASS subtitle script that ffmpeg's `ass` filter (libass) burns into the
 * picture: one event per output frame and athlete, vector drawings (`\p`) for the skeleton and joints,
 * text for the athlete labels, the joint-angle readout, the frame number and the time. libass draws and
 * blends only the covered pixels in C, so the overlay costs little next to the H.264 encode (see
 * README, Export: mp4). Pure functions: no ffmpeg, no I/O (lib/export/mp4-render.ts runs ffmpeg).
 *
 * What is drawn matches the player's video overlay (components/player/VideoPane.tsx):
 * - joints in video pixels: keypoints_3d + the PHALP camera projected with the clip's intrinsics
 *   (lib/viewer/projection.ts) when both exist, the stored keypoints_2d otherwise;
 * - bones of the joint set (lib/pose/joints.ts) in the athlete's colour (lib/viewer/colors.ts trackColor),
 *   as filled quads of the line's width, white joint dots; one drawing per bone and per dot (ffmpeg blends
 *   each drawing over its bounding box, so small drawings keep the overlay cheap); opacity by state (STATE_OPACITY: held and interpolated frames faded) and, as in the
 *   player, a dashed line for every frame that is not a detection. The athlete's label says the state
 *   ("held", "interpolated"), so a held frame never reads as a detection;
 * - the chosen joint angles (lib/pose/angles.ts, from the exported — raw or smoothed — 3D keypoints),
 *   with "~" after a value whose segment points along the line of sight (low validity);
 * - frame number (the clip's own numbering) and the frame's time in the clip (seconds);
 * - with a body model (`silhouette`, lib/export/mp4-silhouette.ts), the person's SMPL mesh silhouette under
 *   the skeleton, filled in the athlete's colour at the player's mesh opacity (SILHOUETTE_OPACITY) times
 *   the state's: held and interpolated frames fainter, as the skeleton.
 *
 * Timing: the render pipeline numbers the output frames i = 0..n-1 and shows frame i at i × 100 ms
 * while the script is applied (the real timestamps are put back afterwards), so event i runs from
 * i × 100 ms − 50 ms to i × 100 ms + 50 ms: no centisecond rounding can pick a neighbour's drawing.
 */
import { ANGLE_DEFS, anglesWithValidity } from '../pose/angles';
import { jointSet } from '../pose/joints';
import type { PoseMeta } from '../frames/repo';
import type { PersonPose, PoseFrame } from '../pose/types';
import { outlineDrawing, type Outline } from './mp4-silhouette';
import { STATE_OPACITY, trackColor, hexToRgb } from '../viewer/colors';
import { projectPoints } from '../viewer/projection';

/** Milliseconds of script time per output frame (see the timing note above). */
export const SCRIPT_MS_PER_FRAME = 100;

export interface OverlayOptions {
  /** the exported athletes (their colours); every person in the frames is drawn */
  tracks: number[];
  /** joint angle names (lib/pose/angles.ts ANGLE_DEFS) to print per athlete */
  angles: string[];
  /** the frames' times are shown relative to this clip time (seconds); 0 = the clip's own clock */
  timeOrigin?: number;
  /** a person's mesh silhouette in video pixels, or null (no body model, no SMPL): drawn under the skeleton */
  silhouette?: (p: PersonPose) => Outline | null;
}

/** The silhouette's fill opacity at a detection: the player's (components/player/VideoPane.tsx, 0.28). */
export const SILHOUETTE_OPACITY = 0.28;

/** Sizes in video pixels, scaled with the picture's height (the player draws 3 CSS px lines). */
export function overlayScale(height: number) {
  const s = Math.max(0.5, height / 720);
  return { line: 3 * s, dot: 2.5 * s, dash: 6 * s, gap: 5 * s, font: Math.round(22 * s), label: Math.round(20 * s), margin: Math.round(14 * s) };
}

/** "#rrggbb" -> ASS colour "&HBBGGRR&". */
export function assColor(hex: string): string {
  const [r, g, b] = hexToRgb(hex);
  const h = (v: number) => v.toString(16).toUpperCase().padStart(2, '0');
  return `&H${h(b)}${h(g)}${h(r)}&`;
}

/** opacity 0..1 -> ASS alpha "&HAA&" (00 opaque, FF transparent). */
export function assAlpha(opacity: number): string {
  const a = Math.round(255 * (1 - Math.min(1, Math.max(0, opacity))));
  return `&H${a.toString(16).toUpperCase().padStart(2, '0')}&`;
}

/** centiseconds -> ASS time "h:mm:ss.cc" */
export function assTime(cs: number): string {
  const c = Math.max(0, Math.round(cs));
  const h = Math.floor(c / 360000);
  const m = Math.floor(c / 6000) % 60;
  const s = Math.floor(c / 100) % 60;
  const x = c % 100;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(x).padStart(2, '0')}`;
}

/** Text for an ASS event: braces and backslashes would start override tags. */
function assText(s: string): string {
  return s.replace(/[{}\\]/g, '');
}

/** The script's header: picture size as the script's pixel space, two styles (text, drawing). */
export function assHeader(width: number, height: number): string {
  const k = overlayScale(height);
  return [
    '[Script Info]',
    '; Motion Coach overlay (lib/export/mp4-overlay.ts)',
    'ScriptType: v4.00+',
    `PlayResX: ${width}`,
    `PlayResY: ${height}`,
    'WrapStyle: 2',
    'ScaledBorderAndShadow: yes',
    'YCbCr Matrix: None',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    // text: white, dark outline so it reads on any picture
    `Style: T,DejaVu Sans,${k.font},&H00FFFFFF,&H00FFFFFF,&H00101010,&H80000000,0,0,0,0,100,100,0,0,1,${Math.max(1, Math.round(k.font / 10))},0,7,0,0,0,1`,
    // drawings: no fill by default, no shadow
    'Style: D,DejaVu Sans,20,&HFF000000,&HFF000000,&H00FFFFFF,&HFF000000,0,0,0,0,100,100,0,0,1,0,0,7,0,0,0,1',
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    '',
  ].join('\n');
}

/** Joints of one person in video pixels (J*2): the player's projection (VideoPane.projectedJoints). */
export function personPixels(p: PersonPose, meta: Pick<PoseMeta, 'intrinsics'>, out: Float64Array): Float64Array {
  const k = meta.intrinsics;
  if (k && p.camera) projectPoints(p.keypoints_3d, p.camera, k, out);
  else for (let i = 0; i < out.length; i++) out[i] = i < p.keypoints_2d.length ? p.keypoints_2d[i] : NaN;
  return out;
}

// drawing coordinates at 1/8 px (\p4)
const SUB = 8;
const q = (v: number) => Math.round(v * SUB);

/**
 * Bones as ASS drawing commands (open paths, stroked by the border), ONE DRAWING PER BONE: ffmpeg blends
 * each drawing's bitmap over its bounding box, so one drawing for a whole skeleton would blend the box
 * around the athlete (mostly empty) for every frame. Dashed when `dash` is given.
 */
function bonePaths(uv: Float64Array, bones: readonly (readonly [number, number])[], width: number, dash: [number, number] | null): string[] {
  const out: string[] = [];
  const h = width / 2;
  // a segment as a filled quad of the line's width (a fill is much cheaper for libass than a stroked border)
  const quad = (ax: number, ay: number, bx: number, by: number, nx: number, ny: number) =>
    `m ${q(ax + nx)} ${q(ay + ny)} l ${q(bx + nx)} ${q(by + ny)} ${q(bx - nx)} ${q(by - ny)} ${q(ax - nx)} ${q(ay - ny)}`;
  for (const [a, b] of bones) {
    const x1 = uv[2 * a], y1 = uv[2 * a + 1], x2 = uv[2 * b], y2 = uv[2 * b + 1];
    if (!Number.isFinite(x1 + y1 + x2 + y2)) continue;
    const len = Math.hypot(x2 - x1, y2 - y1);
    if (len < 0.5) continue;
    const dx = (x2 - x1) / len, dy = (y2 - y1) / len;
    const nx = -dy * h, ny = dx * h;
    if (!dash) {
      out.push(quad(x1, y1, x2, y2, nx, ny));
      continue;
    }
    const parts: string[] = [];
    const [on, off] = dash;
    for (let s = 0; s < len; s += on + off) {
      const e = Math.min(len, s + on);
      parts.push(quad(x1 + dx * s, y1 + dy * s, x1 + dx * e, y1 + dy * e, nx, ny));
    }
    out.push(parts.join(' '));
  }
  return out;
}

/** Joint dots as small filled octagons, one drawing each (see bonePaths). */
function dotPaths(uv: Float64Array, count: number, r: number): string[] {
  const out: string[] = [];
  for (let j = 0; j < count; j++) {
    const x = uv[2 * j], y = uv[2 * j + 1];
    if (!Number.isFinite(x + y)) continue;
    const pts: string[] = [];
    for (let i = 0; i < 8; i++) {
      const a = (i * Math.PI) / 4;
      pts.push(`${q(x + r * Math.cos(a))} ${q(y + r * Math.sin(a))}`);
    }
    out.push(`m ${pts[0]} l ${pts.slice(1).join(' ')}`);
  }
  return out;
}

function fmtAngle(v: number | null, low: boolean): string {
  if (v === null) return '–';
  return `${Math.round(v)}°${low ? '~' : ''}`;
}

/** The label of an angle in the readout (the player's label, e.g. "L knee flexion"). */
const ANGLE_LABEL = new Map(ANGLE_DEFS.map((d) => [d.name, d.label]));

/**
 * Builds the script, one chunk per frame (stream it to a file). `meta` is the clip's pose metadata;
 * frames are the exported range in order (persons already limited to the chosen athletes).
 */
export async function* overlayScript(meta: PoseMeta, frames: AsyncIterable<PoseFrame> | Iterable<PoseFrame>, opts: OverlayOptions): AsyncGenerator<string> {
  const { width, height } = meta;
  const k = overlayScale(height);
  let bones: readonly (readonly [number, number])[] = [];
  try {
    bones = jointSet(meta.joint_set).bones;
  } catch {
    bones = []; // an unknown joint set still shows its joints, as in the player
  }
  const J = meta.joint_names.length;
  const drawn = bones.length ? 1 + Math.max(...bones.flat()) : J;
  const uv = new Float64Array(J * 2);
  const origin = opts.timeOrigin ?? 0;
  yield assHeader(width, height);
  let index = 0;
  for await (const frame of frames) {
    const start = assTime((index * SCRIPT_MS_PER_FRAME - SCRIPT_MS_PER_FRAME / 2) / 10);
    const end = assTime((index * SCRIPT_MS_PER_FRAME + SCRIPT_MS_PER_FRAME / 2) / 10);
    const ev = (layer: number, style: 'T' | 'D', text: string) => `Dialogue: ${layer},${start},${end},${style},,0,0,0,,${text}\n`;
    let chunk = '';
    const readout: string[] = [`frame ${frame.frame_number}   ${(frame.timestamp - origin).toFixed(3)} s`];
    for (const p of frame.persons) {
      personPixels(p, meta, uv);
      const color = assColor(trackColor(p.track_id));
      const alpha = assAlpha(STATE_OPACITY[p.state]);
      const detected = p.state === 'detected';
      const outline = opts.silhouette?.(p);
      if (outline) {
        const fill = assAlpha(SILHOUETTE_OPACITY * STATE_OPACITY[p.state]);
        chunk += ev(1, 'D', `{\\an7\\pos(0,0)\\bord0\\1c${color}\\1a${fill}\\p4}${outlineDrawing(outline)}{\\p0}`);
      }
      const boneTags = `{\\an7\\pos(0,0)\\bord0\\1c${color}\\1a${alpha}\\p4}`;
      for (const line of bonePaths(uv, bones, k.line, detected ? null : [k.dash, k.gap])) chunk += ev(2, 'D', `${boneTags}${line}{\\p0}`);
      const dotTags = `{\\an7\\pos(0,0)\\bord0\\1c&HFFFFFF&\\1a${alpha}\\p4}`;
      for (const dot of dotPaths(uv, Math.min(drawn, J), k.dot)) chunk += ev(3, 'D', `${dotTags}${dot}{\\p0}`);
      // label above the athlete's box: number, and the state when it is not a detection
      const [bx, by] = p.bbox;
      if (Number.isFinite(bx + by)) {
        const lx = Math.min(width - k.margin, Math.max(k.margin, bx));
        const ly = Math.max(k.label + 2, by - 4);
        const tag = detected ? `${p.track_id}` : `${p.track_id} · ${p.state}`;
        chunk += ev(4, 'T', `{\\an1\\pos(${Math.round(lx)},${Math.round(ly)})\\fs${k.label}\\1c${color}\\1a${alpha}\\3a${alpha}}${assText(tag)}`);
      }
      if (opts.angles.length) {
        let values: { angles: Record<string, number | null>; lowValidity: Record<string, boolean> } | null = null;
        try {
          values = anglesWithValidity(meta.joint_set, p.keypoints_3d, p.camera);
        } catch {
          values = null;
        }
        const cells = opts.angles.map((name) => `${ANGLE_LABEL.get(name) ?? name} ${values ? fmtAngle(values.angles[name] ?? null, !!values.lowValidity[name]) : '–'}`);
        readout.push(`{\\1c${color}}${p.track_id}${detected ? '' : ` (${p.state})`}{\\1c&HFFFFFF&}  ${assText(cells.join('   '))}`);
      }
    }
    chunk += ev(5, 'T', `{\\an7\\pos(${k.margin},${k.margin})}${readout.join('\\N')}`);
    yield chunk;
    index++;
  }
}

/** Angle names a request may ask for (400 for others). */
export function checkAngleNames(names: string[]): string[] {
  const known = new Set(ANGLE_DEFS.map((d) => d.name));
  return names.filter((n) => !known.has(n));
}
