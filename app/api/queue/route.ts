import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { queueStatus } from '@/lib/queue';
import { clipScope } from '@/lib/auth/policy';
import { clipsCollection } from '@/lib/clips/repo';
import { ObjectId } from 'mongodb';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The queue as the caller may see it: the totals (no names in them) and only the caller's own waiting
 * and running clips, each with its place in the whole queue.
 */
export const GET = route('user', async ({ actor }) => {
  const status = await queueStatus();
  const ids = status.queue.map((q) => q.clipId).filter((id) => /^[0-9a-f]{24}$/.test(id));
  const mine = new Set(
    (await (await clipsCollection()).find({ $and: [clipScope(actor), { _id: { $in: ids.map((id) => new ObjectId(id)) } }] }, { projection: { _id: 1 } }).toArray()).map((d) =>
      d._id.toHexString(),
    ),
  );
  return json({ ...status, queue: status.queue.filter((q) => mine.has(q.clipId)) });
});
