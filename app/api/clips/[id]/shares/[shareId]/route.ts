import { revokeShare } from '@/lib/auth/shares';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Revokes the link: the next request with it is refused (the share page says so). */
export const DELETE = route({ clip: 'clip.share' }, async ({ clip, params }) => json(await revokeShare(clip._id.toHexString(), String(params.shareId ?? ''))));
