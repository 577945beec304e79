"""Independent reference for lib/pose/angles.ts (numpy), used by test/analysis/angles.test.ts.

Reads JSON from stdin: {"set": "phalp45" | "blazepose33", "poses": [[x0, y0, z0, x1, ...], ...],
"cameras": [[tx, ty, tz] | null, ...]} and writes {"angles": [{name: degrees | null}], "low": [{name: bool}]}.
Joint indices come from the runners' documentation (PHALP.md section 4: OpenPose BODY_25 order; MediaPipe
BlazePose's 33 landmarks), not from the TypeScript tables. Axes: x right, y down, z away from the camera.
"""
import json
import sys

import numpy as np

IDX = {
    "phalp45": dict(
        l_sho=5, r_sho=2, l_elb=6, r_elb=3, l_wri=7, r_wri=4, l_hip=12, r_hip=9, l_kne=13, r_kne=10,
        l_ank=14, r_ank=11, l_heel=21, r_heel=24, l_toe=19, r_toe=22,
    ),
    "blazepose33": dict(
        l_sho=11, r_sho=12, l_elb=13, r_elb=14, l_wri=15, r_wri=16, l_hip=23, r_hip=24, l_kne=25, r_kne=26,
        l_ank=27, r_ank=28, l_heel=29, r_heel=30, l_toe=31, r_toe=32,
    ),
}
UP = np.array([0.0, -1.0, 0.0])
COS_LIMIT = 0.8


def unit(v):
    n = np.linalg.norm(v)
    return None if n < 1e-9 else v / n


def angle(u, v):
    u, v = unit(u), unit(v)
    if u is None or v is None:
        return None
    return float(np.degrees(np.arccos(np.clip(np.dot(u, v), -1.0, 1.0))))


def angles_of(P, ix, cam):
    """P: (J, 3) array with NaN for missing joints."""
    def j(name):
        p = P[ix[name]]
        return None if not np.all(np.isfinite(p)) else p

    out, low = {}, {}

    def los_dominated(a, b):
        d = unit(b - a)
        m = (a + b) / 2
        los = unit(m + np.array(cam)) if cam is not None else np.array([0.0, 0.0, 1.0])
        return d is not None and abs(float(np.dot(d, los))) > COS_LIMIT

    def put(name, value, segs):
        out[name] = value
        low[name] = value is not None and any(los_dominated(a, b) for a, b in segs)

    for s in ("l", "r"):
        side = "left" if s == "l" else "right"
        for nm, a, b, c, flex in (
            ("knee_flexion", "hip", "kne", "ank", True),
            ("hip_flexion", "sho", "hip", "kne", True),
            ("elbow_flexion", "sho", "elb", "wri", True),
            ("shoulder_elevation", "hip", "sho", "elb", False),
        ):
            A, B, C = j(f"{s}_{a}"), j(f"{s}_{b}"), j(f"{s}_{c}")
            if A is None or B is None or C is None:
                put(f"{side}_{nm}", None, [])
                continue
            t = angle(A - B, C - B)
            put(f"{side}_{nm}", None if t is None else (180.0 - t if flex else t), [(B, A), (B, C)])
        K, A, H, T = j(f"{s}_kne"), j(f"{s}_ank"), j(f"{s}_heel"), j(f"{s}_toe")
        if any(v is None for v in (K, A, H, T)):
            put(f"{side}_ankle_dorsiflexion", None, [])
        else:
            t = angle(K - A, T - H)
            put(f"{side}_ankle_dorsiflexion", None if t is None else 90.0 - t, [(A, K), (H, T)])

    LH, RH, LS, RS = j("l_hip"), j("r_hip"), j("l_sho"), j("r_sho")
    if LH is None or RH is None:
        for nm in ("trunk_lean", "trunk_forward_lean", "pelvis_obliquity", "pelvis_rotation", "shoulder_rotation", "trunk_rotation"):
            put(nm, None, [])
        return out, low
    hip = LH - RH
    put("pelvis_obliquity", float(np.degrees(np.arcsin(np.dot(unit(hip), UP)))), [(RH, LH)])

    def heading(line):
        fwd = np.cross(line, UP)  # where the body faces
        return float(np.degrees(np.arctan2(fwd[0], -fwd[2])))

    put("pelvis_rotation", heading(hip), [(RH, LH)])
    if LS is None or RS is None:
        for nm in ("trunk_lean", "trunk_forward_lean", "shoulder_rotation", "trunk_rotation"):
            put(nm, None, [])
        return out, low
    sho = LS - RS
    put("shoulder_rotation", heading(sho), [(RS, LS)])
    mh, ms = (LH + RH) / 2, (LS + RS) / 2
    trunk = ms - mh
    put("trunk_lean", angle(trunk, UP), [(mh, ms)])
    f = unit(np.cross(hip, UP))
    put("trunk_forward_lean", float(np.degrees(np.arctan2(np.dot(trunk, f), np.dot(trunk, UP)))), [(mh, ms)])
    n = unit(trunk)
    hp = hip - np.dot(hip, n) * n
    sp = sho - np.dot(sho, n) * n
    put("trunk_rotation", float(np.degrees(np.arctan2(np.dot(n, np.cross(hp, sp)), np.dot(hp, sp)))), [(RH, LH), (RS, LS)])
    return out, low


def main():
    req = json.load(sys.stdin)
    ix = IDX[req["set"]]
    res = {"angles": [], "low": []}
    for pose, cam in zip(req["poses"], req["cameras"]):
        P = np.array([np.nan if v is None else v for v in pose], dtype=np.float64).reshape(-1, 3)
        a, l = angles_of(P, ix, cam)
        res["angles"].append(a)
        res["low"].append(l)
    json.dump(res, sys.stdout)


main()
