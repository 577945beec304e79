'use client';

import { Canvas, useFrame, useThree } from '@react-three/fiber';
import { OrbitControls } from '@react-three/drei';
import { useEffect, useMemo, useRef } from 'react';
import * as THREE from 'three';
import type { OrbitControls as OrbitControlsImpl } from 'three-stdlib';
import type { PoseSequence } from '@/lib/pose/types';
import type { TrackBodies } from '@/lib/viewer/bodies';
import { computeNormals } from '@/lib/viewer/normals';
import { STATE_OPACITY, trackColor } from '@/lib/viewer/colors';
import type { CameraPreset, PlaybackStore } from '@/lib/viewer/playback';
import { presetCamera, type SceneFrame } from '@/lib/viewer/scene';
import { AngleArcLayer } from './AngleArcs3D';
import { pushSample, type PlayerStats } from './stats';

export const VIEWER_BACKGROUND = '#10141b';
/** vertical field of view of the orbit presets, degrees: a longer lens than the usual 40-50 keeps people
 * at different depths (PHALP places them tens of metres apart in depth) closer in size, as in the video */
const FOV = 25;

interface Props {
  seq: PoseSequence;
  bodies: TrackBodies;
  bones: readonly (readonly [number, number])[];
  jointCount: number;
  faces: Uint32Array | null;
  store: PlaybackStore;
  stats: PlayerStats;
  frame: SceneFrame;
  syncBodies: () => void;
}

/** The 3D view: one body per track (mesh and/or skeleton), a ground grid, orbit controls and presets. */
export function Viewer3D(props: Props) {
  return (
    <Canvas
      frameloop="demand"
      dpr={[1, 2]}
      gl={{ antialias: true, preserveDrawingBuffer: true }}
      camera={{ fov: FOV, near: 0.05, far: 3000, position: [0, 1, 5] }}
      style={{ position: 'absolute', inset: 0 }}
    >
      <color attach="background" args={[VIEWER_BACKGROUND]} />
      <hemisphereLight args={['#dfe8ff', '#30343c', 1.4]} />
      <directionalLight position={[3, 6, 4]} intensity={1.6} />
      <SceneContent {...props} />
    </Canvas>
  );
}

/** three.js objects of one track, built once and rewritten in place every frame. */
class TrackObjects {
  readonly group = new THREE.Group();
  private readonly jointMesh: THREE.InstancedMesh;
  private readonly boneMesh: THREE.InstancedMesh;
  private readonly skeletonMaterial: THREE.MeshStandardMaterial;
  private readonly bodyMaterial: THREE.MeshStandardMaterial | null = null;
  private readonly body: THREE.Mesh | null = null;
  private readonly m = new THREE.Matrix4();
  private readonly a = new THREE.Vector3();
  private readonly b = new THREE.Vector3();
  private readonly dir = new THREE.Vector3();
  private readonly q = new THREE.Quaternion();
  private readonly s = new THREE.Vector3();
  private static readonly UP = new THREE.Vector3(0, 1, 0);

  constructor(readonly trackId: number, private readonly jointCount: number, private readonly bones: readonly (readonly [number, number])[], vertices: Float32Array | null, private readonly faces: Uint32Array | null) {
    const color = new THREE.Color(trackColor(trackId));
    this.skeletonMaterial = new THREE.MeshStandardMaterial({ color, roughness: 0.5, transparent: true });
    this.jointMesh = new THREE.InstancedMesh(new THREE.SphereGeometry(0.035, 12, 8), this.skeletonMaterial, jointCount);
    this.boneMesh = new THREE.InstancedMesh(new THREE.CylinderGeometry(1, 1, 1, 8), this.skeletonMaterial, Math.max(1, bones.length));
    this.jointMesh.frustumCulled = false;
    this.boneMesh.frustumCulled = false;
    this.group.add(this.jointMesh, this.boneMesh);
    if (vertices && faces) {
      const geometry = new THREE.BufferGeometry();
      const position = new THREE.BufferAttribute(vertices, 3);
      position.setUsage(THREE.DynamicDrawUsage);
      geometry.setAttribute('position', position);
      geometry.setAttribute('normal', new THREE.BufferAttribute(new Float32Array(vertices.length), 3).setUsage(THREE.DynamicDrawUsage));
      geometry.setIndex(new THREE.BufferAttribute(faces, 1));
      this.bodyMaterial = new THREE.MeshStandardMaterial({ color, roughness: 0.65, metalness: 0.05, transparent: true });
      this.body = new THREE.Mesh(geometry, this.bodyMaterial);
      this.body.frustumCulled = false;
      this.group.add(this.body);
    }
  }

  update(joints: Float32Array, hasMesh: boolean, state: keyof typeof STATE_OPACITY | null, showMesh: boolean, showSkeleton: boolean, hidden: boolean): void {
    if (!state || hidden) {
      this.group.visible = false;
      return;
    }
    this.group.visible = true;
    const opacity = STATE_OPACITY[state];
    const meshOn = showMesh && hasMesh && this.body !== null;
    // With the mesh drawn, the skeleton is thinner and sits inside it.
    const skeletonOn = showSkeleton || !meshOn;
    this.jointMesh.visible = this.boneMesh.visible = skeletonOn;
    this.skeletonMaterial.opacity = opacity;
    this.skeletonMaterial.depthWrite = opacity === 1;
    const scale = meshOn ? 0.6 : 1;
    if (skeletonOn) {
      for (let j = 0; j < this.jointCount; j++) {
        this.m.makeScale(scale, scale, scale).setPosition(joints[3 * j], joints[3 * j + 1], joints[3 * j + 2]);
        this.jointMesh.setMatrixAt(j, this.m);
      }
      this.jointMesh.instanceMatrix.needsUpdate = true;
      const r = 0.018 * scale;
      this.bones.forEach(([i, k], n) => {
        this.a.set(joints[3 * i], joints[3 * i + 1], joints[3 * i + 2]);
        this.b.set(joints[3 * k], joints[3 * k + 1], joints[3 * k + 2]);
        this.dir.subVectors(this.b, this.a);
        const len = this.dir.length();
        this.q.setFromUnitVectors(TrackObjects.UP, len > 1e-9 ? this.dir.divideScalar(len) : TrackObjects.UP);
        this.a.add(this.b).multiplyScalar(0.5);
        this.m.compose(this.a, this.q, this.s.set(r, len, r));
        this.boneMesh.setMatrixAt(n, this.m);
      });
      this.boneMesh.instanceMatrix.needsUpdate = true;
    }
    if (this.body && this.bodyMaterial) {
      this.body.visible = meshOn;
      if (meshOn) {
        this.bodyMaterial.opacity = opacity;
        this.bodyMaterial.depthWrite = opacity === 1;
        const geometry = this.body.geometry;
        geometry.attributes.position.needsUpdate = true;
        // lib/viewer/normals.ts: typed-array loop, several times faster than geometry.computeVertexNormals()
        computeNormals(geometry.attributes.position.array as Float32Array, this.faces!, geometry.attributes.normal.array as Float32Array);
        geometry.attributes.normal.needsUpdate = true;
      }
    }
  }

  showAllForCompile(): void {
    this.group.visible = this.jointMesh.visible = this.boneMesh.visible = true;
    if (this.body) this.body.visible = true;
  }

  dispose(): void {
    this.jointMesh.geometry.dispose();
    this.boneMesh.geometry.dispose();
    this.skeletonMaterial.dispose();
    this.body?.geometry.dispose();
    this.bodyMaterial?.dispose();
  }
}

function SceneContent({ seq, bodies, bones, jointCount, faces, store, stats, frame, syncBodies }: Props) {
  const invalidate = useThree((s) => s.invalidate);
  const camera = useThree((s) => s.camera) as THREE.PerspectiveCamera;
  const size = useThree((s) => s.size);
  const controls = useRef<OrbitControlsImpl>(null);
  const lastFocus = useRef<THREE.Vector3 | null>(null);

  const tracks = useMemo(() => {
    const list = [...bodies.tracks.values()].map((b) => new TrackObjects(b.trackId, jointCount, bones, b.vertices, faces));
    return list;
  }, [bodies, bones, jointCount, faces]);
  useEffect(() => () => tracks.forEach((t) => t.dispose()), [tracks]);
  // the picked angles as arcs with values, on a paused frame
  const arcs = useMemo(() => new AngleArcLayer(), []);
  useEffect(() => () => arcs.dispose(), [arcs]);

  // Compile every material's shaders now, with every object shown once: three.js compiles lazily on
  // first draw, which with a software GL (SwiftShader) stalls playback for hundreds of ms when a
  // person or the mesh first appears. The frame effect below sets the real visibility right after.
  const gl = useThree((s) => s.gl);
  const scene = useThree((s) => s.scene);
  useEffect(() => {
    for (const t of tracks) t.showAllForCompile();
    gl.compile(scene, camera);
  }, [gl, scene, camera, tracks]);

  useEffect(() => {
    (window as unknown as { __viewer3d?: unknown }).__viewer3d = { camera, scene, gl }; // DEBUG-TEMP
  }, [camera, scene, gl]);

  const grid = useMemo(() => {
    const size = Math.max(10, Math.ceil(frame.extent * 3));
    const g = new THREE.GridHelper(size, size, '#3d4a5e', '#262e3b');
    g.position.set(frame.center[0], frame.floorY, frame.center[2]);
    return g;
  }, [frame]);

  // Camera presets, re-framed when the view's shape changes (the fit depends on the aspect ratio).
  const aspect = size.width / Math.max(1, size.height);
  useEffect(() => {
    const apply = (preset: CameraPreset) => {
      camera.near = 0.05;
      camera.far = 5000;
      camera.fov = FOV;
      if (preset === 'video' && seq.intrinsics) {
        // As the video camera: at the origin of camera space looking down -z, with the video's vertical
        // field of view (the 3D pane crops or widens the sides when its shape differs from the video's).
        camera.fov = THREE.MathUtils.radToDeg(2 * Math.atan(seq.height / 2 / seq.intrinsics.fy));
        camera.near = 0.5;
        camera.position.set(0, 0, 0);
        // Look through the principal point: straight down -z (cx, cy are the image centre for PHALP).
        target.set(0, 0, frame.center[2]);
      } else {
        const placed = presetCamera(frame, preset === 'video' ? 'front' : preset, aspect, FOV);
        camera.position.set(...placed.position);
        target.set(...placed.target);
      }
      camera.updateProjectionMatrix();
      camera.lookAt(target);
      if (controls.current) {
        controls.current.target.copy(target);
        controls.current.update();
      }
      lastFocus.current = null;
      invalidate();
    };
    const target = new THREE.Vector3();
    let preset = store.get().preset;
    apply(preset);
    return store.subscribe(() => {
      if (store.get().preset !== preset) apply((preset = store.get().preset));
    });
  }, [camera, frame, seq, store, invalidate, aspect]);

  // Frame changes: fill buffers (JS work, timed) and ask for one render.
  useEffect(() => {
    const focusPoint = new THREE.Vector3();
    const delta = new THREE.Vector3();
    const apply = () => {
      const t0 = performance.now();
      syncBodies();
      const s = store.get();
      for (const t of tracks) {
        const body = bodies.tracks.get(t.trackId)!;
        t.update(body.joints, body.hasMesh, body.person?.state ?? null, s.showMesh, s.showSkeleton, s.hiddenTracks.has(t.trackId));
      }
      arcs.update(seq, bodies, s, camera, gl.domElement.clientWidth || 1, gl.domElement.clientHeight || 1);
      stats.arcs3d = arcs.shown;
      // Focus: the camera follows the athlete (moves with the pelvis, keeps its angle).
      const focus = s.focusTrack !== null ? bodies.tracks.get(s.focusTrack) : undefined;
      if (focus?.person && controls.current) {
        const J = jointCount;
        focusPoint.set(0, 0, 0);
        for (let j = 0; j < J; j++) focusPoint.x += focus.joints[3 * j], focusPoint.y += focus.joints[3 * j + 1], focusPoint.z += focus.joints[3 * j + 2];
        focusPoint.divideScalar(J);
        if (lastFocus.current) {
          delta.subVectors(focusPoint, lastFocus.current);
          camera.position.add(delta);
          controls.current.target.add(delta);
        } else {
          delta.subVectors(focusPoint, controls.current.target);
          camera.position.add(delta);
          controls.current.target.copy(focusPoint);
          lastFocus.current = new THREE.Vector3();
        }
        lastFocus.current.copy(focusPoint);
        controls.current.update();
      } else lastFocus.current = null;
      pushSample(stats.frameJsMs, performance.now() - t0);
      invalidate();
    };
    apply();
    return store.subscribe(apply);
  }, [tracks, arcs, seq, bodies, store, stats, syncBodies, invalidate, camera, gl, jointCount]);

  // We render ourselves (priority 1) to time the GL work apart from the JS work above.
  const uploadsSeen = useRef('');
  useFrame(({ gl, scene, camera: cam }) => {
    const t0 = performance.now();
    gl.render(scene, cam);
    // A render that first uploads something (an arc's geometry, a label's texture, a shader program: what
    // a paused frame draws for the first time) can come out wrong under a software GL (SwiftShader: a
    // grey veil over the whole view), and with on-demand rendering it would stay on screen until the next
    // change. Draw once more (next animation frame) whenever the GPU resources changed.
    const uploads = `${gl.info.programs?.length ?? 0}|${gl.info.memory.geometries}|${gl.info.memory.textures}`;
    if (uploads !== uploadsSeen.current) {
      uploadsSeen.current = uploads;
      requestAnimationFrame(() => invalidate());
    }
    if (stats.measureGl) gl.getContext().finish();
    pushSample(stats.frameGlMs, performance.now() - t0);
    stats.renders++;
    if (stats.firstFrameAt === null) stats.firstFrameAt = performance.now();
    stats.renderedFrame = store.get().frame;
  }, 1);

  useEffect(() => invalidate(), [size, invalidate]);

  return (
    <>
      <primitive object={grid} />
      <primitive object={arcs.group} />
      {tracks.map((t) => (
        <primitive key={t.trackId} object={t.group} />
      ))}
      <OrbitControls ref={controls} makeDefault enableDamping={false} onChange={() => invalidate()} />
    </>
  );
}
