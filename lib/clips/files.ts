import { blobStore, clipKeys } from '../storage';
import { getClipDoc, type ClipDoc } from './repo';

const CONTENT_TYPES: Record<string, string> = {
  'mov,mp4,m4a,3gp,3g2,mj2': 'video/mp4',
  matroska: 'video/x-matroska',
  'matroska,webm': 'video/webm',
};

/** The blob the browser plays: the H.264 copy when one was made, else the upload itself (`known`: the clip's document, when the caller has it). */
export async function clipVideoBlob(id: string, known?: ClipDoc): Promise<{ key: string; contentType: string } | null> {
  const doc = known ?? (await getClipDoc(id));
  if (!doc) return null;
  const keys = clipKeys(id);
  const store = blobStore();
  if (doc.hasPlayableCopy && (await store.stat(keys.playable))) return { key: keys.playable, contentType: 'video/mp4' };
  if (!(await store.stat(keys.source))) return null;
  const container = doc.video?.container ?? '';
  return { key: keys.source, contentType: CONTENT_TYPES[container] ?? 'video/mp4' };
}

export async function clipThumbnailBlob(id: string): Promise<string | null> {
  const doc = await getClipDoc(id);
  if (!doc) return null;
  const key = clipKeys(id).thumbnail;
  return (await blobStore().stat(key)) ? key : null;
}
