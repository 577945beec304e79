import fs from 'node:fs';
import { getConfig } from '../config';
import { clipLayout } from '../storage/layout';
import { getClipDoc } from './repo';

const CONTENT_TYPES: Record<string, string> = {
  'mov,mp4,m4a,3gp,3g2,mj2': 'video/mp4',
  matroska: 'video/x-matroska',
  'matroska,webm': 'video/webm',
};

/** The file the browser plays: the H.264 copy when one was made, else the upload itself. */
export async function clipVideoFile(id: string): Promise<{ path: string; contentType: string } | null> {
  const doc = await getClipDoc(id);
  if (!doc) return null;
  const layout = clipLayout(getConfig().dataDir, id);
  if (doc.hasPlayableCopy && fs.existsSync(layout.playable)) return { path: layout.playable, contentType: 'video/mp4' };
  if (!fs.existsSync(layout.source)) return null;
  const container = doc.video?.container ?? '';
  return { path: layout.source, contentType: CONTENT_TYPES[container] ?? 'video/mp4' };
}

export async function clipThumbnailFile(id: string): Promise<string | null> {
  const doc = await getClipDoc(id);
  if (!doc) return null;
  const file = clipLayout(getConfig().dataDir, id).thumbnail;
  return fs.existsSync(file) ? file : null;
}
