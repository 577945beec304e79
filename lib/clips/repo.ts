import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import { getDb } from '../db';
import type { RunnerKind } from '../pose/types';
import type { VideoInfo } from '../video/types';
import type { ClipDTO, ClipStage, ClipStatus } from './types';

/** A clip as stored in MongoDB (collection `clips`). `pose` is written by lib/frames (sequence metadata). */
export interface ClipDoc {
  _id: ObjectId;
  /** the account that uploaded it (better-auth user id); absent only on clips from before accounts */
  ownerId?: string | null;
  filename: string;
  status: ClipStatus;
  stage: ClipStage | null;
  progress: number;
  etaSeconds: number | null;
  error: string | null;
  errorCode: string | null;
  logTail: string[];
  runner: RunnerKind | null;
  runnerNote: string | null;
  sha256: string;
  sizeBytes: number;
  video: VideoInfo | null;
  hasPlayableCopy: boolean;
  stats: ClipDTO['stats'];
  reusedFrom: string | null;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  pose?: { runner: RunnerKind; joint_set: string; joint_names: string[]; frame_count?: number; smpl?: boolean } & Record<string, unknown>;
  /** frames 0..finalFrames-1 are stored and final (written by lib/frames/repo.ts while tracking runs and at the end) */
  finalFrames?: number;
}

export async function clipsCollection(db?: Db): Promise<Collection<ClipDoc>> {
  return (db ?? (await getDb())).collection<ClipDoc>('clips');
}

export async function ensureClipIndexes(): Promise<void> {
  const clips = await clipsCollection();
  await clips.createIndexes([
    { key: { sha256: 1 } },
    { key: { createdAt: -1 } },
    { key: { status: 1 } },
    { key: { ownerId: 1, createdAt: -1 } },
    { key: { ownerId: 1, sha256: 1 } },
  ]);
}

export function parseClipId(id: string): ObjectId | null {
  return /^[0-9a-f]{24}$/.test(id) ? new ObjectId(id) : null;
}

/** The fields of a clip that waits for its first (or next) run. */
export function queuedState() {
  return {
    status: 'queued' as const,
    stage: 'uploaded' as const,
    progress: 0,
    etaSeconds: null,
    error: null,
    errorCode: null,
    logTail: [] as string[],
    runnerNote: null,
  };
}

export async function createClip(fields: { id?: ObjectId; ownerId: string; filename: string; sha256: string; sizeBytes: number; video: VideoInfo }): Promise<ClipDoc> {
  const now = new Date();
  const doc: ClipDoc = {
    _id: fields.id ?? new ObjectId(),
    ownerId: fields.ownerId,
    filename: fields.filename,
    ...queuedState(),
    runner: null,
    sha256: fields.sha256,
    sizeBytes: fields.sizeBytes,
    video: fields.video,
    hasPlayableCopy: false,
    stats: null,
    reusedFrom: null,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
  };
  await (await clipsCollection()).insertOne(doc);
  return doc;
}

export async function insertClipDoc(doc: ClipDoc): Promise<void> {
  await (await clipsCollection()).insertOne(doc);
}

export async function getClipDoc(id: string): Promise<ClipDoc | null> {
  const _id = parseClipId(id);
  return _id ? (await clipsCollection()).findOne({ _id }) : null;
}

export async function getClip(id: string): Promise<ClipDTO | null> {
  const doc = await getClipDoc(id);
  return doc ? toClipDTO(doc) : null;
}

/** The newest clips matching `scope` (lib/auth/policy.ts clipScope: the caller's own). */
export async function listClips(scope: Filter<ClipDoc>, limit = 200): Promise<ClipDTO[]> {
  const docs = await (await clipsCollection()).find(scope, { sort: { createdAt: -1 }, limit }).toArray();
  return docs.map((d) => toClipDTO(d));
}

/**
 * A finished clip of the same account with the same content, whose results a new upload can re-use.
 * Never another account's: `reusedFrom` would tell one coach that another holds the same video.
 */
export async function findDoneClipBySha(sha256: string, ownerId: string): Promise<ClipDoc | null> {
  return (await clipsCollection()).findOne({ sha256, ownerId, status: 'done' }, { sort: { finishedAt: -1 } });
}

export async function updateClip(id: string, set: Partial<Omit<ClipDoc, '_id'>>): Promise<ClipDoc | null> {
  const _id = parseClipId(id);
  if (!_id) return null;
  return (await clipsCollection()).findOneAndUpdate(
    { _id },
    { $set: { ...set, updatedAt: new Date() } },
    { returnDocument: 'after' },
  );
}

/** Update only while the clip is in one of `statuses` (a canceled clip must not come back to life). */
export async function updateClipIf(
  id: string,
  statuses: ClipStatus[],
  set: Partial<Omit<ClipDoc, '_id'>>,
  inc?: Partial<Record<'attempts', number>>,
): Promise<ClipDoc | null> {
  const _id = parseClipId(id);
  if (!_id) return null;
  return (await clipsCollection()).findOneAndUpdate(
    { _id, status: { $in: statuses } },
    { $set: { ...set, updatedAt: new Date() }, ...(inc ? { $inc: inc } : {}) },
    { returnDocument: 'after' },
  );
}

export async function deleteClipDoc(id: string): Promise<boolean> {
  const _id = parseClipId(id);
  if (!_id) return false;
  return (await (await clipsCollection()).deleteOne({ _id })).deletedCount === 1;
}

export function toClipDTO(doc: ClipDoc, queuePosition: number | null = null): ClipDTO {
  const v = doc.video;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: doc._id.toHexString(),
    ownerId: doc.ownerId ?? null,
    filename: doc.filename,
    status: doc.status,
    stage: doc.stage,
    progress: doc.progress,
    etaSeconds: doc.etaSeconds,
    error: doc.error,
    logTail: doc.logTail ?? [],
    runner: doc.runner,
    runnerNote: doc.runnerNote,
    sha256: doc.sha256,
    sizeBytes: doc.sizeBytes,
    fps: v?.fps ?? null,
    frameCount: v?.frameCount ?? null,
    width: v?.width ?? null,
    height: v?.height ?? null,
    duration: v?.duration ?? null,
    rotation: v?.rotation ?? null,
    codec: v?.codec ?? null,
    container: v?.container ?? null,
    playableCopy: doc.hasPlayableCopy ?? false,
    stats: doc.stats,
    finalFrames: finalFramesOf(doc),
    jointSet: doc.pose?.joint_set ?? null,
    hasSmpl: doc.pose?.runner === 'phalp',
    reusedFrom: doc.reusedFrom,
    queuePosition,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    startedAt: iso(doc.startedAt),
    finishedAt: iso(doc.finishedAt),
  };
}


/** How many frames (from frame 0) a page may show: the stored final ones while processing, all when done. */
export function finalFramesOf(doc: Pick<ClipDoc, 'status' | 'finalFrames' | 'pose' | 'video'>): number {
  if (doc.status === 'done') return doc.pose?.frame_count ?? doc.finalFrames ?? doc.video?.frameCount ?? 0;
  if (doc.status === 'processing') return doc.finalFrames ?? 0;
  return 0;
}

/**
 * What a share-link viewer sees of a clip: enough to play it and its analysis, nothing about the
 * upload or the server (no file name, hash, runner log or note, error text, re-use, owner).
 */
export function toSharedClipView(dto: ClipDTO): ClipDTO {
  return {
    ...dto,
    ownerId: null,
    filename: 'Shared clip',
    sha256: '',
    logTail: [],
    runnerNote: null,
    error: dto.status === 'failed' ? 'Processing failed.' : null,
    reusedFrom: null,
    queuePosition: null,
  };
}
