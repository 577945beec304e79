import { clipEventStream, sseResponse } from '@/lib/clips/events';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** One clip's changes (owner, admin, or its share viewers). */
export const GET = route({ clip: 'clip.view', share: true }, ({ request, actor, clip }) =>
  sseResponse(clipEventStream(actor, clip._id.toHexString(), request.signal)),
);
