import { stat } from 'node:fs/promises';
import { getConfig } from '@/lib/config';
import { route } from '@/lib/http/route';
import { packSmplModel, SmplModelError } from '@/lib/smpl';
import { loadSmplModel } from '@/lib/smpl/load';

export const dynamic = 'force-dynamic';

// The packed model is built once per model file version (path, size, mtime) and kept in memory.
let packed: { key: string; bytes: Uint8Array } | null = null;

/**
 * The user's SMPL body model, packed for the browser's forward pass (lib/smpl/pack.ts); 404 with a
 * reason when absent. Its licence forbids redistribution: only signed-in users and share-link viewers
 * get it, and never through a shared cache (private; Vary on the credentials).
 */
export const GET = route('viewer', async ({ request }) => {
  const file = getConfig().smplModelPath;
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return Response.json({ error: 'no body model', reason: 'no SMPL model file on the server (the admin sets SMPL_MODEL_PATH)' }, { status: 404 });
  const key = `${info.size}-${Math.round(info.mtimeMs)}`;
  const headers = { ETag: `"smpl-${key}"`, 'Cache-Control': 'private, no-cache', Vary: 'Cookie, Authorization, X-Share-Token' };
  if (request.headers.get('if-none-match') === headers.ETag) return new Response(null, { status: 304, headers });
  try {
    if (packed?.key !== key) packed = { key, bytes: packSmplModel(await loadSmplModel(file)) };
  } catch (err) {
    if (err instanceof SmplModelError) return Response.json({ error: 'body model unusable', reason: err.message }, { status: 422 });
    throw err;
  }
  return new Response(packed.bytes as Uint8Array<ArrayBuffer>, { headers: { ...headers, 'Content-Type': 'application/octet-stream' } });
});
