import fs from 'node:fs/promises';
import { SmplEvaluator } from '../smpl/forward';
import { loadSmplModel } from '../smpl/load';
import type { PersonPose } from '../pose/types';

/**
 * Body meshes for the frames API's mesh=1 (Node only): SMPL vertices computed on the fly from the stored
 * parameters, never stored (ARCHITECTURE.md "Storage, sized": 167 KB per person-frame as vertices).
 */

export class MeshUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeshUnavailableError';
  }
}

// One evaluator per model file, reloaded when the file changes (a user who places the model later
// should not need a restart; a stale model should not outlive its file).
let cached: { path: string; mtimeMs: number; evaluator: Promise<SmplEvaluator> } | null = null;

async function evaluatorFor(modelPath: string): Promise<SmplEvaluator> {
  const stat = await fs.stat(modelPath).catch(() => null);
  if (!stat?.isFile()) throw new MeshUnavailableError(`mesh=1 needs the SMPL body model at ${modelPath}`);
  if (!cached || cached.path !== modelPath || cached.mtimeMs !== stat.mtimeMs) {
    const evaluator = loadSmplModel(modelPath).then((model) => new SmplEvaluator(model));
    cached = { path: modelPath, mtimeMs: stat.mtimeMs, evaluator };
    evaluator.catch(() => {
      if (cached?.evaluator === evaluator) cached = null;
    });
  }
  try {
    return await cached.evaluator;
  } catch (err) {
    throw new MeshUnavailableError(`mesh=1 needs a usable SMPL body model at ${modelPath}: ${(err as Error).message}`);
  }
}

/**
 * A function giving a person's mesh as 6890 x [x, y, z] in camera space (model space + camera translation,
 * metres, OpenCV axes), or null for a person without SMPL parameters. Values are rounded to 1e-6 m: the
 * float32 forward pass holds no more than that at PHALP's tens of metres of depth, and it keeps the JSON short.
 */
export async function bodyMeshes(modelPath: string): Promise<(p: PersonPose) => number[][] | null> {
  const evaluator = await evaluatorFor(modelPath);
  const { vertices } = evaluator.allocateOutputs();
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return (p) => {
    if (!p.smpl) return null;
    evaluator.forward(p.smpl, vertices);
    const t = p.camera ?? { tx: 0, ty: 0, tz: 0 };
    const out: number[][] = new Array(vertices.length / 3);
    for (let i = 0; i < out.length; i++) {
      out[i] = [round(vertices[i * 3] + t.tx), round(vertices[i * 3 + 1] + t.ty), round(vertices[i * 3 + 2] + t.tz)];
    }
    return out;
  };
}
