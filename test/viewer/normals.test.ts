import { describe, expect, it } from 'vitest';
import * as THREE from 'three';
import { computeNormals } from '../../lib/viewer/normals';

describe('computeNormals', () => {
  it('matches three.js computeVertexNormals on a closed mesh', () => {
    // an icosphere-like closed mesh, squashed so normals differ from positions
    const geometry = new THREE.IcosahedronGeometry(1, 3);
    const merged = mergeVertices(geometry);
    const pos = merged.getAttribute('position').array as Float32Array;
    for (let i = 0; i < pos.length; i += 3) pos[i + 1] *= 0.5;
    const index = Uint32Array.from(merged.getIndex()!.array);
    merged.computeVertexNormals();
    const expected = merged.getAttribute('normal').array as Float32Array;
    const out = new Float32Array(pos.length);
    computeNormals(pos, index, out);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
    expect(worst).toBeLessThan(1e-5);
    // and they point outwards on this convex shape
    for (let i = 0; i < pos.length; i += 3) expect(out[i] * pos[i] + out[i + 1] * pos[i + 1] + out[i + 2] * pos[i + 2]).toBeGreaterThan(0);
  });

  it('leaves an unused vertex at zero and overwrites stale values', () => {
    const pos = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 5, 5, 5]);
    const out = new Float32Array(12).fill(7);
    computeNormals(pos, new Uint32Array([0, 1, 2]), out);
    expect(Array.from(out)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0]);
  });
});

/** Indexed copy of a non-indexed geometry, merging equal positions (a closed mesh needs shared vertices). */
function mergeVertices(g: THREE.BufferGeometry): THREE.BufferGeometry {
  const src = g.getAttribute('position');
  const key = (i: number) => `${src.getX(i).toFixed(5)},${src.getY(i).toFixed(5)},${src.getZ(i).toFixed(5)}`;
  const ids = new Map<string, number>();
  const positions: number[] = [];
  const index: number[] = [];
  for (let i = 0; i < src.count; i++) {
    const k = key(i);
    let id = ids.get(k);
    if (id === undefined) {
      id = ids.size;
      ids.set(k, id);
      positions.push(src.getX(i), src.getY(i), src.getZ(i));
    }
    index.push(id);
  }
  const out = new THREE.BufferGeometry();
  out.setAttribute('position', new THREE.BufferAttribute(new Float32Array(positions), 3));
  out.setIndex(index);
  return out;
}
