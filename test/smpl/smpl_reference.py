#!/usr/bin/python3
"""Reference SMPL forward pass in numpy float64, the steps of smplx's lbs(), for checking lib/smpl/forward.ts.

Usage: /usr/bin/python3 test/smpl/smpl_reference.py MODEL.npz < poses.json > result.json
poses.json: [{"global_orient": [9], "body_pose": [207], "betas": [10]}, ...] (rotation matrices, row-major)
result.json: [{"vertices": [V*3], "joints": [J*3]}, ...]
"""
import json
import sys

import numpy as np


def forward(model, global_orient, body_pose, betas):
    v_template = model['v_template']
    shapedirs = model['shapedirs'][:, :, :len(betas)]
    posedirs = model['posedirs'].reshape(-1, model['posedirs'].shape[2]).T  # (207, V*3), as smplx stores it
    j_regressor = model['J_regressor']
    weights = model['weights']
    parents = model['kintree_table'][0].astype(np.int64)
    parents[0] = -1

    v_shaped = v_template + np.einsum('vcb,b->vc', shapedirs, betas)
    rest_joints = j_regressor @ v_shaped
    rot = np.concatenate([global_orient.reshape(1, 3, 3), body_pose.reshape(-1, 3, 3)])
    pose_feature = (rot[1:] - np.eye(3)).reshape(-1)
    v_posed = v_shaped + (pose_feature @ posedirs).reshape(-1, 3)

    rel_joints = rest_joints.copy()
    rel_joints[1:] -= rest_joints[parents[1:]]
    local = np.zeros((len(rot), 4, 4))
    local[:, :3, :3] = rot
    local[:, :3, 3] = rel_joints
    local[:, 3, 3] = 1
    chain = [local[0]]
    for i in range(1, len(rot)):
        chain.append(chain[parents[i]] @ local[i])
    world = np.stack(chain)
    posed_joints = world[:, :3, 3]
    skin = world.copy()
    skin[:, :3, 3] -= np.einsum('jab,jb->ja', world[:, :3, :3], rest_joints)

    per_vertex = np.einsum('vj,jab->vab', weights, skin)  # (V, 4, 4)
    homogeneous = np.concatenate([v_posed, np.ones((len(v_posed), 1))], axis=1)
    vertices = np.einsum('vab,vb->va', per_vertex, homogeneous)[:, :3]
    return vertices, posed_joints


def main():
    z = np.load(sys.argv[1])
    model = {k: z[k].astype(np.float64) for k in ['v_template', 'shapedirs', 'posedirs', 'J_regressor', 'weights']}
    model['kintree_table'] = z['kintree_table']
    out = []
    for pose in json.load(sys.stdin):
        v, j = forward(model, *(np.asarray(pose[k], dtype=np.float64) for k in ('global_orient', 'body_pose', 'betas')))
        out.append({'vertices': v.reshape(-1).tolist(), 'joints': j.reshape(-1).tolist()})
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
