import { cancelClip } from '@/lib/clips/service';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = route({ clip: 'clip.update' }, async ({ actor, clip }) => json(await cancelClip(actor, clip._id.toHexString())));
