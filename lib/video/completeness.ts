import { ffprobeJson } from './ffmpeg';
// the upload check (validateVideo in ./probe) counts the packets in its own ffprobe run; this is the
// same check on its own, for a file that has been validated already

/**
 * Is every frame the container promises actually in the file? A file cut off during upload or copy can
 * still decode its first frames when its index (moov) sits at the start; it then lacks the data the index
 * points to. Demuxing every video packet (no decoding: about a second per GB) and comparing with the
 * index's frame count tells. Containers without a frame count in their header are not judged here.
 */
export async function missingFrames(file: string, signal?: AbortSignal): Promise<{ promised: number; present: number } | null> {
  const out = await ffprobeJson<{ streams?: { nb_frames?: string; nb_read_packets?: string }[] }>(
    ['-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_frames,nb_read_packets', file],
    signal,
  );
  const s = out.streams?.[0];
  const promised = Number(s?.nb_frames);
  const present = Number(s?.nb_read_packets);
  if (!Number.isFinite(promised) || promised <= 0 || !Number.isFinite(present)) return null;
  return present < promised ? { promised, present } : null;
}
