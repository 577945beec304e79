"""Blender (headless) reader for the export tests: imports a BVH or a glTF/GLB file with Blender's own
importers and prints the world positions of its joints at the requested frames, as JSON on one line
prefixed with 'RESULT '.

Usage: blender -b --factory-startup --python-exit-code 1 --python test/export/blender_joints.py -- FILE FPS FRAMES
  FRAMES: comma-separated 0-based animation frames (BVH: motion lines; glTF: keyframe index at FPS).
Output: {"frame_range": [start, end], "keyframes": n, "frames": {frame: {joint name: [x, y, z]}},
         "meshes": {frame: {mesh object name: [[x, y, z] of every 50th vertex, after skinning]}}}
(Blender world axes, z up; armature bones: head of the pose bone; glTF nodes without a skin: object origins.)
"""
import builtins
import json
import sys

import bpy

argv = sys.argv[sys.argv.index('--') + 1:]
path, fps, frames = argv[0], float(argv[1]), [int(f) for f in argv[2].split(',') if f]

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.fps = round(fps)
scene.render.fps_base = round(fps) / fps

if path.lower().endswith('.bvh'):
    import io_anim_bvh.import_bvh as ib
    # Debian's Blender 3.4 opens BVH files with mode 'rU', which Python 3.11 refuses
    ib.open = lambda f, m='r', *a, **k: builtins.open(f, m.replace('U', ''), *a, **k)
    bpy.ops.import_anim.bvh(filepath=path, rotate_mode='NATIVE', frame_start=1, update_scene_fps=False, update_scene_duration=True)
    first = 1
else:
    import numpy
    # Debian's Blender 3.4 glTF importer uses numpy.bool, removed in the numpy Debian ships
    numpy.bool = bool
    bpy.ops.import_scene.gltf(filepath=path)
    first = None

actions = list(bpy.data.actions)
starts = [a.frame_range[0] for a in actions]
ends = [a.frame_range[1] for a in actions]
frame_range = [min(starts), max(ends)] if actions else [0, 0]
keyframes = max((len(fc.keyframe_points) for a in actions for fc in a.fcurves), default=0)
if first is None:
    first = frame_range[0]

out = {}
meshes = {}
for f in frames:
    scene.frame_set(int(first + f))
    bpy.context.view_layer.update()
    joints = {}
    for ob in scene.objects:
        if ob.type == 'ARMATURE':
            for pb in ob.pose.bones:
                p = ob.matrix_world @ pb.head
                joints[pb.name] = [p.x, p.y, p.z]
        elif ob.type == 'EMPTY':
            p = ob.matrix_world.translation
            joints[ob.name] = [p.x, p.y, p.z]
    out[f] = joints
    depsgraph = bpy.context.evaluated_depsgraph_get()
    shapes = {}
    for ob in scene.objects:
        if ob.type == 'MESH':
            ev = ob.evaluated_get(depsgraph)
            me = ev.to_mesh()
            shapes[ob.name] = [list(ev.matrix_world @ me.vertices[i].co) for i in range(0, len(me.vertices), 50)]
            ev.to_mesh_clear()
    meshes[f] = shapes

print('RESULT ' + json.dumps({'frame_range': frame_range, 'keyframes': keyframes, 'frames': out, 'meshes': meshes}))
