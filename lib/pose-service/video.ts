import type { UserActor } from '../auth/identity';
import { queueStatus, withQueueTimeout } from '../queue';
import { importVideo } from './import';
import { recordJob } from './jobs';

/**
 * POST /pose/video {video_path}: the video (inside IMPORT_DIR, import.ts) becomes a clip of the caller,
 * queued like an upload; job_id is the clip id (GET /pose/video/status/<job_id>, and the clip page
 * /clips/<job_id> shows it too). 202 {status: 'queued', job_id, message, queue_position}. When the same
 * bytes were processed before for this account, the earlier results are copied and the answer is
 * 200 {status: 'completed', job_id, message}.
 */
export interface SubmitBody {
  status: 'queued' | 'completed';
  job_id: string;
  message: string;
  queue_position: number | null;
}

export async function submitVideo(actor: UserActor, videoPath: unknown): Promise<{ httpStatus: 200 | 202; body: SubmitBody }> {
  const clip = await importVideo(actor.userId, videoPath);
  await recordJob(clip.id, String(videoPath), actor.userId);
  if (clip.status === 'done') {
    return { httpStatus: 200, body: { status: 'completed', job_id: clip.id, message: 'This video was processed before: its results were re-used.', queue_position: null } };
  }
  const q = await withQueueTimeout(queueStatus(), 'reading the queue').catch(() => null);
  const position = q?.queue.find((e) => e.clipId === clip.id)?.position ?? null;
  return {
    httpStatus: 202,
    body: { status: 'queued', job_id: clip.id, message: position && position > 1 ? 'Video processing queued behind other jobs' : 'Video processing queued', queue_position: position },
  };
}
