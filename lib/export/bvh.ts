import { Zip, ZipDeflate } from 'fflate';
import type { PoseFrame } from '../pose/types';
import { rotationToYUp, toYUp } from './axes';
import { eulerZXY, norm, type Vec3 } from './math';
import { athleteFileName, type NameParts } from './naming';
import { cameraSpaceKeypoints, rigFor, solveRig, type RigAnimation } from './rig';
import type { ExportSource } from './source';
import { fixedRateTimeline, type Timeline } from './timeline';

/**
 * BVH export: one skeleton animation per athlete (lib/export/rig.ts solves it), y-up metres
 * (lib/export/axes.ts), one BVH frame per video frame of the range (VFR clips resampled: ./timeline.ts).
 * Every joint has 6 channels, `Xposition Yposition Zposition Zrotation Xrotation Yrotation`: the root's
 * position is its camera-space place, a joint's position is its offset in the parent's rotated frame (the
 * rest OFFSET stretched to this frame's bone length), so a reader's joint world positions equal our
 * keypoints. Several athletes: a zip with one .bvh each (deflated, BVH text streams through).
 */

const CHANNELS = 'CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation';
const m = (v: number) => (Math.abs(v) < 5e-7 ? '0' : v.toFixed(6));
const deg = (v: number) => (Math.abs(v) < 5e-6 ? '0' : v.toFixed(5));
const enc = new TextEncoder();

export interface AthleteMotion {
  track: number;
  anim: RigAnimation;
  timeline: Timeline;
}

/** Solves every exported athlete's skeleton over the range. */
export function athleteMotions(src: Pick<ExportSource, 'meta' | 'tracks'>, frames: PoseFrame[]): AthleteMotion[] {
  const rig = rigFor(src.meta.joint_set);
  const timeline = fixedRateTimeline(frames.map((f) => f.timestamp), src.meta.fps);
  return src.tracks.map((track) => {
    const positions = timeline.picks.map((i) => {
      const p = frames[i].persons.find((q) => q.track_id === track);
      return p ? cameraSpaceKeypoints(p) : null;
    });
    return { track, anim: solveRig(rig, positions), timeline };
  });
}

/** The BVH text of one athlete, in chunks (hierarchy, then ~200 frames per chunk). */
export function* bvhText(motion: AthleteMotion): Generator<string> {
  const { anim, timeline } = motion;
  const { rig, restOffsets } = anim;
  const children: number[][] = rig.names.map(() => []);
  rig.parents.forEach((p, j) => p >= 0 && children[p].push(j));
  const lines: string[] = ['HIERARCHY'];
  const write = (j: number, depth: number) => {
    const pad = '  '.repeat(depth);
    const o = toYUp(restOffsets[j]);
    lines.push(`${pad}${rig.parents[j] < 0 ? 'ROOT' : 'JOINT'} ${rig.names[j]}`, `${pad}{`, `${pad}  OFFSET ${m(o[0])} ${m(o[1])} ${m(o[2])}`, `${pad}  ${CHANNELS}`);
    for (const c of children[j]) write(c, depth + 1);
    if (children[j].length === 0) {
      // the bone's tip: 5 cm (or the bone's own length, if shorter) further along the bone
      const l = norm(restOffsets[j]);
      const tip: Vec3 = l > 1e-6 ? toYUp(restOffsets[j].map((v) => (v / l) * Math.min(0.05, l)) as Vec3) : [0, 0.05, 0];
      lines.push(`${pad}  End Site`, `${pad}  {`, `${pad}    OFFSET ${m(tip[0])} ${m(tip[1])} ${m(tip[2])}`, `${pad}  }`);
    }
    lines.push(`${pad}}`);
  };
  write(0, 0);
  lines.push('MOTION', `Frames: ${anim.count}`, `Frame Time: ${timeline.frameTime.toFixed(8)}`);
  yield lines.join('\n') + '\n';

  const prev: (Vec3 | undefined)[] = rig.names.map(() => undefined);
  let chunk: string[] = [];
  for (const frame of anim.frames()) {
    const values: string[] = [];
    for (let j = 0; j < rig.names.length; j++) {
      const t = toYUp(frame.translations[j]);
      const e = eulerZXY(rotationToYUp(frame.rotations[j]), prev[j]);
      prev[j] = e;
      values.push(m(t[0]), m(t[1]), m(t[2]), deg(e[0]), deg(e[1]), deg(e[2]));
    }
    chunk.push(values.join(' '));
    if (chunk.length >= 200) {
      yield chunk.join('\n') + '\n';
      chunk = [];
    }
  }
  if (chunk.length) yield chunk.join('\n') + '\n';
}

/** The export body: one .bvh (a single athlete) or a zip of one .bvh per athlete, as it is written. */
export function* bvhStream(motions: AthleteMotion[], names: NameParts): Generator<Uint8Array> {
  if (motions.length === 1) {
    for (const s of bvhText(motions[0])) yield enc.encode(s);
    return;
  }
  const out: Uint8Array[] = [];
  let failure: Error | null = null;
  let done = false;
  const zip = new Zip((err, data, final) => {
    if (err) failure = err;
    else out.push(data);
    if (final) done = true;
  });
  for (const motion of motions) {
    const entry = new ZipDeflate(athleteFileName(names, motion.track, 'bvh'), { level: 6 });
    zip.add(entry);
    for (const s of bvhText(motion)) {
      entry.push(enc.encode(s));
      while (out.length) yield out.shift()!;
    }
    entry.push(new Uint8Array(0), true);
    while (out.length) yield out.shift()!;
  }
  zip.end();
  if (failure) throw failure;
  while (out.length) yield out.shift()!;
  if (!done) throw new Error('the zip did not finish');
}
