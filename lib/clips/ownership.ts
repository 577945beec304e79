import { clipsCollection } from './repo';

/**
 * Clips uploaded before accounts existed have no owner: they go to the first admin (when that account
 * is created, and at each start of the web process in case an older worker or backup added some).
 */
export async function adoptOrphanClips(adminId: string): Promise<number> {
  const clips = await clipsCollection();
  const res = await clips.updateMany({ $or: [{ ownerId: { $exists: false } }, { ownerId: null }] }, { $set: { ownerId: adminId } });
  return res.modifiedCount;
}

/** Bytes of uploaded video an account keeps (its quota counts these). */
export async function storageUsedBy(ownerId: string): Promise<number> {
  const clips = await clipsCollection();
  const [row] = await clips.aggregate<{ total: number }>([{ $match: { ownerId } }, { $group: { _id: null, total: { $sum: '$sizeBytes' } } }]).toArray();
  return row?.total ?? 0;
}
