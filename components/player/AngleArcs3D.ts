/**
 * The picked angles drawn on the 3D bodies of a paused frame: a translucent sector between the two rays,
 * its outline, the reference rays, and a label with the value. three.js objects built per slot (athlete x
 * angle) and rewritten in place; drawn over the body (no depth test) so a mesh never hides them.
 */
import * as THREE from 'three';
import type { PoseSequence } from '@/lib/pose/types';
import { formatAngle, modelToThree, personArcs, placeLabels, sectorTriangles } from '@/lib/viewer/angleArcs';
import type { TrackBodies } from '@/lib/viewer/bodies';
import { trackColor } from '@/lib/viewer/colors';
import type { PlaybackState } from '@/lib/viewer/playback';
import { personTranslation } from '@/lib/viewer/scene';

const SEGMENTS = 24;
export const ARC_COLOR = '#ffffff';
export const LOW_VALIDITY_COLOR = '#9aa3b2';
/** label height on screen, CSS pixels */
const LABEL_PX = 20;
const LABEL_W = 160, LABEL_H = 56;

class ArcSlot {
  readonly group = new THREE.Group();
  private readonly sector: THREE.Mesh<THREE.BufferGeometry, THREE.MeshBasicMaterial>;
  private readonly outline: THREE.Line<THREE.BufferGeometry, THREE.LineBasicMaterial>;
  private readonly rays: THREE.LineSegments<THREE.BufferGeometry, THREE.LineBasicMaterial>;
  private readonly label: THREE.Sprite;
  private readonly canvas = document.createElement('canvas');
  private readonly texture: THREE.CanvasTexture;
  private text = '';

  constructor() {
    const geo = (n: number) => {
      const g = new THREE.BufferGeometry();
      g.setAttribute('position', new THREE.BufferAttribute(new Float32Array(n * 3), 3).setUsage(THREE.DynamicDrawUsage));
      return g;
    };
    const over = { depthTest: false, depthWrite: false, transparent: true };
    this.sector = new THREE.Mesh(geo(SEGMENTS * 3), new THREE.MeshBasicMaterial({ ...over, opacity: 0.32, side: THREE.DoubleSide }));
    this.outline = new THREE.Line(geo(SEGMENTS + 1), new THREE.LineBasicMaterial({ ...over }));
    this.rays = new THREE.LineSegments(geo(4), new THREE.LineBasicMaterial({ ...over, opacity: 0.8 }));
    this.canvas.width = LABEL_W;
    this.canvas.height = LABEL_H;
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.label = new THREE.Sprite(new THREE.SpriteMaterial({ map: this.texture, ...over, sizeAttenuation: false }));
    this.label.center.set(0.5, 0.5);
    // constant size on screen whatever the camera's field of view: scale from the projection each render
    this.label.onBeforeRender = (renderer, _scene, camera) => {
      const h = renderer.getDrawingBufferSize(new THREE.Vector2()).y / renderer.getPixelRatio();
      const sy = ((LABEL_PX / Math.max(1, h)) * 2) / camera.projectionMatrix.elements[5];
      this.label.scale.set((sy * LABEL_W) / LABEL_H, sy, 1);
    };
    for (const o of [this.sector, this.outline, this.rays, this.label]) {
      o.frustumCulled = false;
      o.renderOrder = o === this.label ? 21 : 20;
      this.group.add(o);
    }
    this.group.visible = false;
  }

  show(vertex: number[], points: Float32Array, label: number[], text: string, low: boolean, border: string): void {
    const color = low ? LOW_VALIDITY_COLOR : ARC_COLOR;
    this.sector.material.color.set(color);
    this.outline.material.color.set(color);
    this.rays.material.color.set(color);
    const sectorPos = this.sector.geometry.attributes.position as THREE.BufferAttribute;
    (sectorPos.array as Float32Array).set(sectorTriangles({ points, label, sweepDeg: 0, dim: 3 }, vertex));
    sectorPos.needsUpdate = true;
    const outlinePos = this.outline.geometry.attributes.position as THREE.BufferAttribute;
    (outlinePos.array as Float32Array).set(points);
    outlinePos.needsUpdate = true;
    // the two rays from the vertex, a little longer than the arc's radius
    const n = points.length / 3;
    const ray = this.rays.geometry.attributes.position.array as Float32Array;
    for (const [k, i] of [[0, 0], [1, n - 1]]) {
      ray.set(vertex, 6 * k);
      for (let d = 0; d < 3; d++) ray[6 * k + 3 + d] = vertex[d] + 1.35 * (points[3 * i + d] - vertex[d]);
    }
    this.rays.geometry.attributes.position.needsUpdate = true;
    for (const g of [this.sector.geometry, this.outline.geometry, this.rays.geometry]) g.computeBoundingSphere();
    this.label.position.set(label[0], label[1], label[2]);
    const key = `${text}|${low}|${border}`;
    if (key !== this.text) {
      this.text = key;
      drawLabel(this.canvas, text, low, border);
      this.texture.needsUpdate = true;
    }
    this.group.visible = true;
  }

  hide(): void {
    this.group.visible = false;
  }

  dispose(): void {
    for (const o of [this.sector, this.outline, this.rays]) {
      o.geometry.dispose();
      o.material.dispose();
    }
    this.label.material.dispose();
    this.texture.dispose();
  }
}

/** A value label: dark rounded box, border in the athlete's colour, grey italic "≈" when low validity. */
export function drawLabel(canvas: HTMLCanvasElement, text: string, low: boolean, border: string): void {
  const ctx = canvas.getContext('2d')!;
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.font = `${low ? 'italic ' : ''}600 34px system-ui, sans-serif`;
  const tw = Math.min(w - 8, ctx.measureText(text).width + 22);
  const x = (w - tw) / 2;
  ctx.fillStyle = 'rgba(10, 12, 16, 0.88)';
  ctx.strokeStyle = border;
  ctx.lineWidth = 4;
  ctx.beginPath();
  ctx.roundRect(x, 4, tw, h - 8, 12);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = low ? LOW_VALIDITY_COLOR : '#ffffff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, w / 2, h / 2 + 1);
}

/** Every arc slot of the 3D view; grows to the number of picked athlete x angle pairs. */
export class AngleArcLayer {
  readonly group = new THREE.Group();
  private readonly slots: ArcSlot[] = [];
  private readonly t = { tx: 0, ty: 0, tz: 0 };
  private readonly v = new THREE.Vector3();

  /** Draws the picked angles of the picked, visible athletes when paused; hides everything while playing. */
  update(seq: PoseSequence, bodies: TrackBodies, s: PlaybackState, camera: THREE.PerspectiveCamera, widthPx: number, heightPx: number): void {
    // screen pixels per metre at a point: keeps arcs readable however far the camera is
    camera.updateMatrixWorld();
    const focal = (heightPx / 2) * camera.projectionMatrix.elements[5];
    const pixelsPerUnit = (v: readonly number[]) => focal / Math.max(1e-6, camera.position.distanceTo(this.v.set(v[0], v[1], v[2])));
    const shown: { vertex: number[]; points: Float32Array; label: number[]; text: string; low: boolean; border: string }[] = [];
    if (!s.playing && s.angles.length > 0) {
      for (const body of bodies.tracks.values()) {
        const p = body.person;
        if (!p || s.hiddenTracks.has(body.trackId) || (s.angleTracks && !s.angleTracks.includes(body.trackId))) continue;
        const toScene = modelToThree(personTranslation(p, seq, this.t));
        for (const a of personArcs(seq.joint_set, p, s.angles, toScene, { segments: SEGMENTS, pixelsPerUnit })) {
          shown.push({ vertex: a.vertex, points: a.arc.points, label: a.arc.label, text: `${a.low ? '≈' : ''}${formatAngle(a.value)}`, low: a.low, border: trackColor(body.trackId) });
        }
      }
    }
    // labels that would overlap on screen (two knees side by side) are moved apart in screen space
    const onScreen = shown.map((x) => {
      const q = this.v.set(x.label[0], x.label[1], x.label[2]).project(camera);
      return { x: ((q.x + 1) / 2) * widthPx, y: ((1 - q.y) / 2) * heightPx, w: LABEL_PX * 1.8, z: q.z };
    });
    const placed = placeLabels(onScreen, LABEL_PX);
    shown.forEach((x, i) => {
      const q = this.v.set((placed[i][0] / widthPx) * 2 - 1, 1 - (placed[i][1] / heightPx) * 2, onScreen[i].z).unproject(camera);
      if (i === this.slots.length) {
        const slot = new ArcSlot();
        this.slots.push(slot);
        this.group.add(slot.group);
      }
      this.slots[i].show(x.vertex, x.points, [q.x, q.y, q.z], x.text, x.low, x.border);
    });
    const used = shown.length;
    for (let i = used; i < this.slots.length; i++) this.slots[i].hide();
  }

  /** how many arcs are shown now (tests and the debug hook read it) */
  get shown(): number {
    return this.slots.filter((s) => s.group.visible).length;
  }

  dispose(): void {
    for (const s of this.slots) s.dispose();
  }
}
