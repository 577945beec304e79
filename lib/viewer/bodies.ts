/**
 * What the scene and the overlay draw for one frame, per track, in three.js coordinates: joints,
 * bone segments and (with a body model) the skinned mesh. Buffers are allocated once per track and
 * rewritten in place on every frame change, so playback allocates nothing; the 3D view uploads them
 * (BufferAttribute.needsUpdate) and the overlay projects them onto the video.
 */
import type { PersonPose, PoseSequence, SmplParams } from '../pose/types';
import { fillBones, personTranslation, toThree } from './scene';
import { personAt, type TrackTable } from './tracks';

/**
 * The body model as the viewer needs it: a forward pass into a caller buffer (model space, OpenCV axes).
 * `exact` false may skip refinements (SMPL's pose corrective blend shapes) to stay within a playback
 * frame budget; the paused picture is always exact.
 */
export interface BodyForward {
  vertexCount: number;
  faces: Uint32Array;
  compute(smpl: SmplParams, out: Float32Array, exact: boolean): void;
}

export interface TrackBody {
  trackId: number;
  /** the person at the current frame, null when the track is absent */
  person: PersonPose | null;
  joints: Float32Array;
  bones: Float32Array;
  /** skinned vertices, three.js coordinates; null without a body model or SMPL parameters */
  vertices: Float32Array | null;
  /** true when `vertices` hold this frame's mesh */
  hasMesh: boolean;
}

export class TrackBodies {
  readonly tracks: Map<number, TrackBody> = new Map();
  private modelSpace: Float32Array | null;
  private translation = { tx: 0, ty: 0, tz: 0 };
  frame = -1;

  constructor(
    private seq: PoseSequence,
    private readonly table: TrackTable,
    private readonly boneList: readonly (readonly [number, number])[],
    private readonly forward: BodyForward | null,
  ) {
    const J = seq.joint_names.length;
    const withMesh = forward !== null && seq.frames.some((f) => f.persons.some((p) => p.smpl));
    this.modelSpace = withMesh ? new Float32Array(forward!.vertexCount * 3) : null;
    for (const id of table.trackIds) {
      this.tracks.set(id, {
        trackId: id, person: null, joints: new Float32Array(J * 3), bones: new Float32Array(boneList.length * 6),
        vertices: withMesh ? new Float32Array(forward!.vertexCount * 3) : null, hasMesh: false,
      });
    }
  }

  /**
   * Draws from another sequence of the SAME layout from now on (same frames, same persons in the same
   * order, as lib/pose/smooth.ts returns): the raw/smoothed switch, without rebuilding the buffers.
   * The next setFrame() fills them from it.
   */
  useSequence(seq: PoseSequence): void {
    if (seq === this.seq) return;
    if (seq.frames.length !== this.seq.frames.length || seq.joint_names.length !== this.seq.joint_names.length) {
      throw new Error('TrackBodies.useSequence: the sequence does not have the layout of the one the bodies were built for');
    }
    this.seq = seq;
    this.frame = -1;
  }

  get meshAvailable(): boolean {
    return this.modelSpace !== null;
  }

  /**
   * Fills every track's buffers for `frame`. `wantMesh(trackId)` skips skinning for hidden tracks
   * or when the mesh is toggled off (it is the expensive part); `exact` false during playback.
   */
  setFrame(frame: number, wantMesh: (trackId: number) => boolean = () => true, exact = true): void {
    this.frame = frame;
    for (const body of this.tracks.values()) {
      const p = personAt(this.seq, this.table, body.trackId, frame);
      body.person = p;
      body.hasMesh = false;
      if (!p) continue;
      const t = personTranslation(p, this.seq, this.translation);
      toThree(p.keypoints_3d, t, body.joints);
      fillBones(body.joints, this.boneList, body.bones);
      if (this.forward && this.modelSpace && body.vertices && p.smpl && wantMesh(body.trackId)) {
        this.forward.compute(p.smpl, this.modelSpace, exact);
        toThree(this.modelSpace, t, body.vertices);
        body.hasMesh = true;
      }
    }
  }
}

/** three.js point -> video pixels with the PHALP camera (undoes the y/z flip, then the pinhole). */
export function projectThreePoint(x: number, y: number, z: number, k: { fx: number; fy: number; cx: number; cy: number }): [number, number] {
  const depth = -z;
  return [(k.fx * x) / depth + k.cx, (k.fy * -y) / depth + k.cy];
}
