/**
 * Joint sets: names (in the order of the keypoint arrays) and the bones that draw a skeleton.
 * A sequence names its set in `joint_set`; the frames API returns `joint_names`.
 */

export interface JointSet {
  name: string;
  names: readonly string[];
  /** pairs of joint indices drawn as bones */
  bones: readonly (readonly [number, number])[];
}

/** PHALP / HMR2: 25 OpenPose BODY_25 joints, 19 extra joints, and the model origin (PHALP.md section 4). */
export const PHALP45: JointSet = {
  name: 'phalp45',
  names: [
    'Nose', 'Neck', 'RShoulder', 'RElbow', 'RWrist', 'LShoulder', 'LElbow', 'LWrist', 'MidHip',
    'RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle', 'REye', 'LEye', 'REar', 'LEar',
    'LBigToe', 'LSmallToe', 'LHeel', 'RBigToe', 'RSmallToe', 'RHeel',
    'RAnkle_extra', 'RKnee_extra', 'RHip_extra', 'LHip_extra', 'LKnee_extra', 'LAnkle_extra', 'RWrist_extra', 'RElbow_extra', 'RShoulder_extra',
    'LShoulder_extra', 'LElbow_extra', 'LWrist_extra', 'Neck_extra', 'HeadTop', 'Pelvis', 'Thorax', 'Spine', 'Jaw', 'Head',
    'Origin',
  ],
  // BODY_25 bones (the first 25 joints carry the skeleton).
  bones: [
    [1, 0], [1, 2], [2, 3], [3, 4], [1, 5], [5, 6], [6, 7], [1, 8],
    [8, 9], [9, 10], [10, 11], [8, 12], [12, 13], [13, 14],
    [0, 15], [15, 17], [0, 16], [16, 18],
    [14, 19], [19, 20], [14, 21], [11, 22], [22, 23], [11, 24],
  ],
};

// Every joint set a runner can produce; add new ones here.
const JOINT_SETS: Record<string, JointSet> = { [PHALP45.name]: PHALP45 };

export function jointSet(name: string): JointSet {
  const set = JOINT_SETS[name];
  if (!set) throw new Error(`unknown joint set '${name}'`);
  return set;
}
