import { deleteClip, getClipView } from '@/lib/clips/service';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route({ clip: 'clip.read', share: true }, async ({ actor, clip }) => json(await getClipView(actor, clip._id.toHexString())));

export const DELETE = route({ clip: 'clip.delete' }, async ({ actor, clip }) => {
  const id = clip._id.toHexString();
  await deleteClip(actor, id);
  return json({ id, deleted: true });
});
