import { clipThumbnailBlob } from '@/lib/clips/files';
import { errorJson } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { serveBlob } from '@/lib/http/serve-blob';
import { blobStore } from '@/lib/storage';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route({ clip: 'clip.view', share: true }, async ({ request, clip }) => {
  const key = await clipThumbnailBlob(clip._id.toHexString());
  return key ? serveBlob(request, blobStore(), key, 'image/jpeg') : errorJson(404, 'No thumbnail yet.');
});
