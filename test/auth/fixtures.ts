import fs from 'node:fs';
import { ObjectId } from 'mongodb';
import { POST as createInviteRoute } from '../../app/api/admin/invites/route';
import { POST as createKeyRoute } from '../../app/api/account/keys/route';
import { POST as createShareRoute } from '../../app/api/clips/[id]/shares/route';
import { clipsCollection, createClip, updateClip, type ClipDoc } from '../../lib/clips/repo';
import { getConfig } from '../../lib/config';
import { saveSequence } from '../../lib/frames/repo';
import { clipLayout } from '../../lib/storage/layout';
import { syntheticSequence } from '../frames/synthetic-sequence';
import { asUser, params, signUp, type TestUser } from './helpers';

/** Accounts, clips, keys and links made through the real routes, for the access tests. */

export async function invite(admin: TestUser): Promise<string> {
  const res = await createInviteRoute(asUser(admin, '/api/admin/invites', { method: 'POST', body: '{}' }));
  if (res.status !== 201) throw new Error(`invite: ${res.status} ${await res.text()}`);
  const { url } = (await res.json()) as { url: string };
  return new URL(url).searchParams.get('invite')!;
}

export async function invitedCoach(admin: TestUser, name = 'coach'): Promise<TestUser> {
  return signUp({ invite: await invite(admin), name });
}

export async function apiKey(user: TestUser, name = 'script'): Promise<{ id: string; key: string }> {
  const res = await createKeyRoute(asUser(user, '/api/account/keys', { method: 'POST', body: JSON.stringify({ name }) }));
  if (res.status !== 201) throw new Error(`api key: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function shareLink(owner: TestUser, clipId: string, expiresInDays: number | null = 7): Promise<{ id: string; token: string }> {
  const res = await createShareRoute(
    asUser(owner, `/api/clips/${clipId}/shares`, { method: 'POST', body: JSON.stringify({ expiresInDays }) }),
    params({ id: clipId }),
  );
  if (res.status !== 201) throw new Error(`share: ${res.status} ${await res.text()}`);
  const { id, url } = (await res.json()) as { id: string; url: string };
  return { id, token: new URL(url).pathname.split('/').pop()! };
}

const VIDEO_INFO = { container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', width: 64, height: 48, fps: 10, frameCount: 12, duration: 1.2, rotation: 0 };

/**
 * A clip of `ownerId` in the given state, as the pipeline leaves it: a done clip has its source file,
 * thumbnail and pose frames (so video, thumbnail, frames and poses all answer 200).
 */
export async function makeClip(ownerId: string, status: ClipDoc['status'] = 'done', sizeBytes = 1000): Promise<string> {
  const clip = await createClip({ ownerId, filename: `athlete-${status}.mp4`, sha256: new ObjectId().toHexString(), sizeBytes, video: VIDEO_INFO as never });
  const id = clip._id.toHexString();
  const layout = clipLayout(getConfig().dataDir, id);
  fs.mkdirSync(layout.dir, { recursive: true });
  fs.writeFileSync(layout.source, Buffer.alloc(sizeBytes, 7));
  fs.writeFileSync(layout.thumbnail, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  if (status === 'done') {
    await saveSequence(id, syntheticSequence({ frames: 12, tracks: 1, seed: 3 }));
    await updateClip(id, { status: 'done', stage: 'done', progress: 1, runner: 'cpu', finishedAt: new Date() });
  } else {
    await updateClip(id, { status, error: status === 'failed' ? 'runner crashed: /secret/path' : null, logTail: ['a log line'], runnerNote: 'note' });
  }
  return id;
}

export async function clipExists(id: string): Promise<boolean> {
  return !!(await (await clipsCollection()).findOne({ _id: new ObjectId(id) }));
}
