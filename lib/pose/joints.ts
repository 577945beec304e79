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

/**
 * CPU runner: BlazePose GHUM's 33 body landmarks, in the model's order (MediaPipe's names). The model's
 * 6 extra outputs (2 alignment points for the crop, 4 unused) are not kept.
 */
export const BLAZEPOSE33: JointSet = {
  name: 'blazepose33',
  names: [
    'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye', 'right_eye_outer',
    'left_ear', 'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder', 'right_shoulder', 'left_elbow',
    'right_elbow', 'left_wrist', 'right_wrist', 'left_pinky', 'right_pinky', 'left_index', 'right_index',
    'left_thumb', 'right_thumb', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
    'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index',
  ],
  // MediaPipe's POSE_CONNECTIONS
  bones: [
    [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10],
    [11, 12], [11, 13], [13, 15], [15, 17], [15, 19], [15, 21], [17, 19],
    [12, 14], [14, 16], [16, 18], [16, 20], [16, 22], [18, 20],
    [11, 23], [12, 24], [23, 24], [23, 25], [24, 26], [25, 27], [26, 28],
    [27, 29], [28, 30], [29, 31], [30, 32], [27, 31], [28, 32],
  ],
};

// Every joint set a runner can produce; add new ones here.
const JOINT_SETS: Record<string, JointSet> = { [PHALP45.name]: PHALP45, [BLAZEPOSE33.name]: BLAZEPOSE33 };

export function jointSet(name: string): JointSet {
  const set = JOINT_SETS[name];
  if (!set) throw new Error(`unknown joint set '${name}'`);
  return set;
}
