import { clipVideoBlob } from '@/lib/clips/files';
import { errorJson } from '@/lib/http/respond';
import { serveDirectly } from '@/lib/http/direct-routes';
import { route } from '@/lib/http/route';
import { serveBlob } from '@/lib/http/serve-blob';
import { blobStore } from '@/lib/storage';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

// cachedClip: the clip document may come from a short per-process memory, dropped on every change of the clip
export const GET = route({ clip: 'clip.view', share: true }, async ({ request, clip }) => {
  const blob = await clipVideoBlob(clip._id.toHexString(), clip);
  return blob ? serveBlob(request, blobStore(), blob.key, blob.contentType) : errorJson(404, 'No such clip, or its video is not ready yet.');
}, { cachedClip: true });

// a player asks for this many times a second: the web server calls it without Next.js's router once loaded
serveDirectly('/api/clips/[id]/video', { GET });
