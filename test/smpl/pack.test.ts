import { beforeAll, describe, expect, it } from 'vitest';
import { SmplEvaluator } from '../../lib/smpl/forward';
import { loadSmplModel } from '../../lib/smpl/load';
import type { SmplModel } from '../../lib/smpl/model';
import { packSmplModel, unpackSmplModel } from '../../lib/smpl/pack';
import { expectSameModel } from './expect-model';
import { randomPose, seededRandom, standinFiles } from './fixture';

let model: SmplModel;
let packed: Uint8Array;

beforeAll(async () => {
  model = await loadSmplModel(standinFiles().pkl);
  packed = packSmplModel(model);
});

describe('packSmplModel / unpackSmplModel', () => {
  it('round-trips to an identical model, from aligned and unaligned bytes', () => {
    expectSameModel(unpackSmplModel(packed), model);
    const shifted = new Uint8Array(packed.length + 1);
    shifted.set(packed, 1);
    expectSameModel(unpackSmplModel(shifted.subarray(1)), model);
    // Node Buffers (what an HTTP client or fs gives) work too
    expectSameModel(unpackSmplModel(Buffer.from(packed)), model);
  });

  it('is float32-exact and smaller than the dense float32 arrays (16-bit faces, sparse weights)', () => {
    const dense =
      (model.vTemplate.length + model.shapedirs.length + model.posedirs.length + model.weights.length + model.faces.length) * 4;
    expect(packed.length).toBeLessThan(dense);
    // posedirs dominate: 207 * 6890 * 3 float32
    expect(packed.length).toBeGreaterThan(207 * 6890 * 3 * 4);
  });

  it('the unpacked model poses the body exactly as the loaded one', () => {
    const pose = randomPose(seededRandom(3), 1.5, 1);
    const a = new SmplEvaluator(model);
    const b = new SmplEvaluator(unpackSmplModel(packed));
    const va = a.allocateOutputs().vertices;
    const vb = b.allocateOutputs().vertices;
    a.forward(pose, va);
    b.forward(pose, vb);
    expect(Buffer.from(vb.buffer).equals(Buffer.from(va.buffer))).toBe(true);
  });

  it('refuses other bytes and truncated blobs', () => {
    expect(() => unpackSmplModel(new Uint8Array(100))).toThrow(/not an SMPL model blob: wrong magic/);
    expect(() => unpackSmplModel(packed.subarray(0, packed.length - 4))).toThrow(/not an SMPL model blob: \d+ bytes, the header promises \d+/);
    const corrupt = packed.slice();
    new DataView(corrupt.buffer).setUint32(4, 99, true);
    expect(() => unpackSmplModel(corrupt)).toThrow(/version 99/);
  });
});
