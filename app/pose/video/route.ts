import { json } from '@/lib/http/respond';
import { jsonBody, route } from '@/lib/http/route';
import { submitVideo } from '@/lib/pose-service/video';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The original pose service's POST /pose/video {video_path} (lib/pose-service/video.ts); counts as an upload. */
export const POST = route('user', async ({ request, actor }) => {
  const { httpStatus, body } = await submitVideo(actor, (await jsonBody(request)).video_path);
  return json(body, httpStatus);
}, { rateLimit: 'uploads' });
