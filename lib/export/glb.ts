import { Document, NodeIO, type Node } from '@gltf-transform/core';
import type { PersonPose, PoseFrame } from '../pose/types';
import type { SmplEvaluator } from '../smpl/forward';
import { matToQuat, type Quat } from './math';
import { cameraSpaceKeypoints, rigFor, solveRig } from './rig';
import type { ExportSource } from './source';

/**
 * glTF 2.0 binary (GLB) export, written with @gltf-transform/core.
 *
 * Scene: one node `camera_to_y_up` (a half turn about x: our OpenCV camera axes x right, y down, z forward
 * become glTF's y-up, see lib/export/axes.ts); everything below it is in our camera space, metres. Per athlete
 * a node `athlete<N>` holding
 * - the keypoint skeleton (always): one node per joint of the joint set's rig (lib/export/rig.ts), named
 *   `athlete<N>_<joint>`, rest translation = the rest offsets (median bone lengths), animated rotation and
 *   translation per frame, so each node's world position is our keypoint;
 * - with the SMPL body model (SMPL_MODEL_PATH) and SMPL parameters: a skinned mesh `athlete<N>_body` (shape
 *   from the athlete's median betas, the model's 24-joint skeleton `athlete<N>_smpl_<joint>`, per-frame
 *   joint rotations from global_orient/body_pose and root translation camera + pelvis). Linear blend
 *   skinning with the 4 largest weights per vertex; SMPL's pose corrective blend shapes are not applied.
 * Animation times are the frames' real timestamps, counted from the first exported frame (the clip time
 * of that frame is in the scene's extras). Frames where an athlete is absent: its node is scaled to 0
 * (STEP), values held.
 */

export const SMPL_JOINT_NAMES = [
  'pelvis', 'left_hip', 'right_hip', 'spine1', 'left_knee', 'right_knee', 'spine2', 'left_ankle', 'right_ankle',
  'spine3', 'left_foot', 'right_foot', 'neck', 'left_collar', 'right_collar', 'head', 'left_shoulder',
  'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hand', 'right_hand',
];

export interface GlbOptions {
  /** the SMPL forward pass for the mesh, or null for skeletons only */
  smpl: SmplEvaluator | null;
  /** why there is no mesh (written to the file's extras) */
  smplNote?: string;
}

/** Keeps successive quaternions in the same hemisphere so linear interpolation takes the short way. */
function continuous(qs: Quat[]): Quat[] {
  for (let i = 1; i < qs.length; i++) {
    const a = qs[i - 1];
    const b = qs[i];
    if (a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] < 0) qs[i] = [-b[0], -b[1], -b[2], -b[3]];
  }
  return qs;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : 0;
}

export async function glbExport(src: ExportSource, opts: GlbOptions): Promise<Uint8Array> {
  const frames = await src.allFrames();
  const doc = new Document();
  doc.createBuffer();
  const t0 = frames[0].timestamp;
  const times = new Float32Array(frames.map((f) => f.timestamp - t0));
  for (let i = 1; i < times.length; i++) if (!(times[i] > times[i - 1])) times[i] = Math.fround(times[i - 1] + 1e-4); // strictly increasing
  const input = doc.createAccessor('times').setType('SCALAR').setArray(times);
  const anim = doc.createAnimation('motion');
  const rig = rigFor(src.meta.joint_set);

  const track = (node: Node, path: 'translation' | 'rotation' | 'scale', values: number[][], interpolation: 'LINEAR' | 'STEP' = 'LINEAR') => {
    const type = values[0].length === 4 ? 'VEC4' : 'VEC3';
    const output = doc.createAccessor().setType(type).setArray(new Float32Array(values.flat()));
    const sampler = doc.createAnimationSampler().setInput(input).setOutput(output).setInterpolation(interpolation);
    anim.addSampler(sampler).addChannel(doc.createAnimationChannel().setTargetNode(node).setTargetPath(path).setSampler(sampler));
  };

  const axis = doc.createNode('camera_to_y_up').setRotation([1, 0, 0, 0]);
  const scene = doc.createScene('clip').addChild(axis);
  doc.getRoot().setDefaultScene(scene);
  scene.setExtras({
    clip_id: src.clipId,
    frames: [src.from, src.to],
    time_offset_s: t0,
    axes: 'node camera_to_y_up maps OpenCV camera axes (x right, y down, z forward) to glTF y-up: (x, y, z) -> (x, -y, -z)',
    joint_set: src.meta.joint_set,
    smoothed: src.smoothed,
    body_model: opts.smpl ? 'SMPL' : (opts.smplNote ?? 'none'),
  });

  for (const tid of src.tracks) {
    const persons: (PersonPose | null)[] = frames.map((f) => f.persons.find((p) => p.track_id === tid) ?? null);
    const group = doc.createNode(`athlete${tid}`);
    axis.addChild(group);
    if (persons.some((p) => !p)) track(group, 'scale', persons.map((p) => (p ? [1, 1, 1] : [0, 0, 0])), 'STEP');

    // keypoint skeleton
    const solved = solveRig(rig, persons.map((p) => (p ? cameraSpaceKeypoints(p) : null)));
    const translations: number[][][] = rig.names.map(() => []);
    const rotations: Quat[][] = rig.names.map(() => []);
    for (const f of solved.frames()) {
      f.translations.forEach((t, j) => translations[j].push(t));
      f.rotations.forEach((r, j) => rotations[j].push(matToQuat(r)));
    }
    const nodes = rig.names.map((name, j) => doc.createNode(`athlete${tid}_${name}`).setTranslation(rig.parents[j] < 0 ? (translations[0][0] as [number, number, number]) : solved.restOffsets[j]));
    rig.parents.forEach((p, j) => (p < 0 ? group : nodes[p]).addChild(nodes[j]));
    nodes.forEach((node, j) => {
      track(node, 'translation', translations[j]);
      track(node, 'rotation', continuous(rotations[j]));
    });

    if (opts.smpl && persons.some((p) => p?.smpl)) addSmplBody(doc, opts.smpl, group, tid, persons, track);
  }

  return new NodeIO().writeBinary(doc);
}

type TrackFn = (node: Node, path: 'translation' | 'rotation' | 'scale', values: number[][], interpolation?: 'LINEAR' | 'STEP') => void;

function addSmplBody(doc: Document, evaluator: SmplEvaluator, group: Node, tid: number, persons: (PersonPose | null)[], track: TrackFn): void {
  const model = evaluator.model;
  const J = model.numJoints;
  const withSmpl = persons.filter((p): p is PersonPose & { smpl: NonNullable<PersonPose['smpl']> } => !!p?.smpl);
  const betas = Array.from({ length: model.numBetas }, (_, b) => median(withSmpl.map((p) => p.smpl.betas[b] ?? 0)));
  const shape = evaluator.shape(betas);
  const rest = Float64Array.from(shape.restJoints);
  const vShaped = Float32Array.from(shape.vShaped);

  const joints = Array.from({ length: J }, (_, j) => {
    const p = model.parents[j];
    const t: [number, number, number] = p < 0 ? [rest[0], rest[1], rest[2]] : [rest[j * 3] - rest[p * 3], rest[j * 3 + 1] - rest[p * 3 + 1], rest[j * 3 + 2] - rest[p * 3 + 2]];
    return doc.createNode(`athlete${tid}_smpl_${SMPL_JOINT_NAMES[j] ?? `joint${j}`}`).setTranslation(t);
  });
  joints.forEach((node, j) => (model.parents[j] < 0 ? group : joints[model.parents[j]]).addChild(node));

  // per frame: absent or without SMPL -> hold the nearest earlier (else the first) frame's values
  let last = withSmpl[0];
  const held = persons.map((p) => (p?.smpl ? (last = p as typeof last) : last));
  track(joints[0], 'translation', held.map((p) => [rest[0] + (p.camera?.tx ?? 0), rest[1] + (p.camera?.ty ?? 0), rest[2] + (p.camera?.tz ?? 0)]));
  for (let j = 0; j < J; j++) {
    const quats = held.map((p) => matToQuat(j === 0 ? p.smpl.global_orient : p.smpl.body_pose.subarray((j - 1) * 9, j * 9)));
    track(joints[j], 'rotation', continuous(quats));
  }

  // skin: 4 largest weights per vertex, renormalised
  const V = model.numVertices;
  const jointIdx = new Uint8Array(V * 4);
  const weights = new Float32Array(V * 4);
  const { offsets, joints: wj, weights: ww } = model.skin;
  for (let v = 0; v < V; v++) {
    const entries: [number, number][] = [];
    for (let k = offsets[v]; k < offsets[v + 1]; k++) entries.push([wj[k], ww[k]]);
    entries.sort((a, b) => b[1] - a[1]);
    const top = entries.slice(0, 4);
    const sum = top.reduce((s, e) => s + e[1], 0) || 1;
    top.forEach(([j, w], i) => {
      jointIdx[v * 4 + i] = j;
      weights[v * 4 + i] = w / sum;
    });
    if (top.length === 0) weights[v * 4] = 1; // joint 0
  }
  const ibm = new Float32Array(J * 16);
  for (let j = 0; j < J; j++) {
    ibm.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, -rest[j * 3], -rest[j * 3 + 1], -rest[j * 3 + 2], 1], j * 16); // column-major
  }
  const skin = doc.createSkin(`athlete${tid}_skin`).setSkeleton(joints[0]).setInverseBindMatrices(doc.createAccessor().setType('MAT4').setArray(ibm));
  joints.forEach((n) => skin.addJoint(n));

  const faces = model.faces;
  const indices = model.numVertices <= 65535 ? Uint16Array.from(faces) : Uint32Array.from(faces);
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(vShaped))
    .setAttribute('JOINTS_0', doc.createAccessor().setType('VEC4').setArray(jointIdx))
    .setAttribute('WEIGHTS_0', doc.createAccessor().setType('VEC4').setArray(weights))
    .setIndices(doc.createAccessor().setType('SCALAR').setArray(indices))
    .setMaterial(doc.createMaterial(`athlete${tid}_skin_material`).setBaseColorFactor([0.8, 0.65, 0.55, 1]).setRoughnessFactor(0.8).setMetallicFactor(0));
  const mesh = doc.createMesh(`athlete${tid}_body`).addPrimitive(prim);
  // a skinned mesh node sits at the scene root (its own transform is ignored by glTF readers)
  doc.getRoot().listScenes()[0].addChild(doc.createNode(`athlete${tid}_body`).setMesh(mesh).setSkin(skin));
}
