import { json } from '@/lib/http/respond';
import { jsonBody, route } from '@/lib/http/route';
import { poseHybrid } from '@/lib/pose-service/hybrid';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The original pose service's POST /pose/hybrid {image_base64, frame_number}: measured by the worker pool's CPU runner. */
export const POST = route('user', async ({ request }) => json(await poseHybrid(await jsonBody(request))));
