import type { Collection } from 'mongodb';
import { getDb } from '../db';
import type { ClipDoc } from '../clips/repo';
import { framesResponse, type FrameJson } from '../frames/api';
import { HttpError } from '../upload';

/**
 * The original service's job view (GET /pose/video/status/<job_id>). A job is a clip: job_id = clip id
 * (also the BullMQ job id). The path a job was submitted with is kept in `pose_service_jobs`, the only
 * thing the clip itself does not record.
 */

interface PoseServiceJob {
  _id: string; // clip id
  videoPath: string;
  ownerId: string;
  createdAt: Date;
}

async function jobsCollection(): Promise<Collection<PoseServiceJob>> {
  return (await getDb()).collection<PoseServiceJob>('pose_service_jobs');
}

export async function recordJob(clipId: string, videoPath: string, ownerId: string): Promise<void> {
  await (await jobsCollection()).updateOne({ _id: clipId }, { $set: { videoPath, ownerId, createdAt: new Date() } }, { upsert: true });
}

/** The original statuses: queued | processing | completed, and `error` (with `error`) for a failed or canceled job. */
export type OriginalStatus = 'queued' | 'processing' | 'completed' | 'error';

export function originalStatus(status: ClipDoc['status']): OriginalStatus {
  if (status === 'done') return 'completed';
  if (status === 'failed' || status === 'canceled') return 'error';
  return status;
}

const unixSeconds = (d: Date | null | undefined) => (d ? d.getTime() / 1000 : null);

export interface JobStatusBody {
  job_id: string;
  status: OriginalStatus;
  /** the clip's own status (queued|processing|done|failed|canceled), for clients that want the detail */
  clip_status: ClipDoc['status'];
  video_path: string | null;
  queued_at: number | null;
  started_at: number | null;
  completed_at: number | null;
  stage: string | null;
  progress: number;
  eta_seconds: number | null;
  error: string | null;
  result: null | {
    status: 'success';
    video_path: string | null;
    total_frames: number;
    fps: number;
    width: number;
    height: number;
    video_duration: number | null;
    joint_names: string[];
    processing_time_seconds: number | null;
    /** the same number, under the name the original backend client read */
    processing_time: number | null;
    frames: (FrameJson & { persons: (FrameJson['persons'][number] & { mesh_vertices: number[][] })[] })[];
  };
}

/** Every stored frame, in the frames API's per-frame JSON, page by page (the frames API caps a page). */
async function allFrames(clipId: string): Promise<{ frames: FrameJson[]; total: number; fps: number; width: number; height: number; jointNames: string[] }> {
  const frames: FrameJson[] = [];
  let from = 0;
  for (;;) {
    const res = await framesResponse(clipId, new URLSearchParams({ from: String(from) }));
    if (res.status !== 200) throw new HttpError(res.status === 409 ? 409 : res.status, res.body.error);
    frames.push(...res.body.frames);
    if (res.body.next_from === null) {
      return { frames, total: res.body.total_frames, fps: res.body.fps, width: res.body.width, height: res.body.height, jointNames: res.body.joint_names };
    }
    from = res.body.next_from;
  }
}

export async function jobStatus(clip: ClipDoc): Promise<JobStatusBody> {
  const id = clip._id.toHexString();
  const job = await (await jobsCollection()).findOne({ _id: id });
  const status = originalStatus(clip.status);
  const body: JobStatusBody = {
    job_id: id,
    status,
    clip_status: clip.status,
    video_path: job?.videoPath ?? null,
    queued_at: unixSeconds(clip.createdAt),
    started_at: unixSeconds(clip.startedAt),
    completed_at: clip.status === 'done' || status === 'error' ? unixSeconds(clip.finishedAt ?? clip.updatedAt) : null,
    stage: clip.stage,
    progress: clip.progress,
    eta_seconds: clip.etaSeconds,
    error: status === 'error' ? (clip.error ?? (clip.status === 'canceled' ? 'The job was canceled.' : 'The job failed.')) : null,
    result: null,
  };
  if (clip.status !== 'done') return body;
  const all = await allFrames(id);
  const seconds = clip.startedAt && clip.finishedAt ? (clip.finishedAt.getTime() - clip.startedAt.getTime()) / 1000 : null;
  body.result = {
    status: 'success',
    video_path: body.video_path,
    total_frames: all.total,
    fps: all.fps,
    width: all.width,
    height: all.height,
    video_duration: clip.video?.duration ?? null,
    joint_names: all.jointNames,
    processing_time_seconds: seconds,
    processing_time: seconds,
    // the original always carried mesh_vertices ([] when it had none); vertices come from
    // GET /api/clips/<job_id>/frames?mesh=1 (computed from the SMPL parameters, 10 frames a request)
    frames: all.frames.map((f) => ({ ...f, persons: f.persons.map((p) => ({ ...p, mesh_vertices: [] as number[][] })) })),
  };
  return body;
}
