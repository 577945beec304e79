import { open } from 'node:fs/promises';

/**
 * What a file that ffprobe could not open looks like, told in words a coach understands. Decides
 * 415 (it is not a video at all) versus 422 (it is a video container, but damaged or cut off),
 * from the first bytes and ffprobe's own complaint.
 */
export async function describeNonVideo(
  file: string,
  ffprobeSaid: string[],
): Promise<{ ok: false; status: 415 | 422; reason: string }> {
  const head = await readHead(file, 4096);
  const detail = ffprobeSaid.length ? ` (${shorten(ffprobeSaid.at(-1)!)})` : '';

  const container = videoContainerOf(head);
  // judged by the bytes, not by ffprobe's words: for any file named .mp4 it tries the MP4 reader and
  // says "moov atom not found", even for a text file
  if (container) {
    return {
      ok: false,
      status: 422,
      reason:
        `This ${container} video is incomplete or damaged, so it cannot be opened: the upload may ` +
        `have been cut off, or the recording was not finished. Please upload the original file again.${detail}`,
    };
  }
  const kind = nonVideoKind(head);
  return {
    ok: false,
    status: 415,
    reason: kind
      ? `This file is not a video (it looks like ${kind}).`
      : `This file is not a video: its contents are not a video format we recognise.${detail}`,
  };
}

async function readHead(file: string, n: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function shorten(line: string): string {
  // ffprobe prefixes the path; the user doesn't need our storage path
  const afterPath = line.replace(/^.*?: (?=[A-Z])/, '');
  return afterPath.length > 160 ? `${afterPath.slice(0, 157)}...` : afterPath;
}

const ascii = (b: Buffer, at: number, s: string) => b.subarray(at, at + s.length).toString('latin1') === s;

/** Signatures of video containers: seeing one means the file IS a video, just not a readable one. */
function videoContainerOf(b: Buffer): string | null {
  if (ascii(b, 4, 'ftyp')) {
    const brand = b.subarray(8, 12).toString('latin1');
    return brand.startsWith('qt') ? 'QuickTime (MOV)' : brand.startsWith('3g') ? '3GP' : 'MP4';
  }
  if (ascii(b, 4, 'moov') || ascii(b, 4, 'mdat') || ascii(b, 4, 'wide') || ascii(b, 4, 'free')) return 'MP4';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'WebM/Matroska';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI ')) return 'AVI';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x000001ba) return 'MPEG';
  if (b[0] === 0x47 && b[188] === 0x47) return 'MPEG-TS';
  if (ascii(b, 0, 'FLV')) return 'FLV';
  return null;
}

/** Common things people upload by mistake. */
function nonVideoKind(b: Buffer): string | null {
  if (ascii(b, 0, '%PDF')) return 'a PDF document';
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) return 'a PNG image';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'a JPEG photo';
  if (ascii(b, 0, 'GIF8')) return 'a GIF image';
  if (ascii(b, 0, 'PK\x03\x04')) return 'a ZIP archive or an Office document';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'a WAV audio file';
  if (ascii(b, 0, 'ID3') || ascii(b, 0, 'fLaC') || ascii(b, 0, 'OggS')) return 'an audio file';
  if (looksLikeText(b)) {
    const start = b.toString('utf8').trimStart();
    if (/^<(!doctype html|html)/i.test(start)) return 'a web page (HTML)';
    if (/^[[{]/.test(start)) return 'a JSON text file';
    return 'plain text';
  }
  return null;
}

function looksLikeText(b: Buffer): boolean {
  if (b.length === 0 || b.includes(0)) return false;
  const text = b.toString('utf8');
  // a cut multi-byte character at the end of the sample is fine; replacement characters elsewhere are not
  const bad = (text.slice(0, -1).match(/\uFFFD/g) ?? []).length;
  const control = (text.match(/[\x00-\x08\x0E-\x1F\x7F]/g) ?? []).length;
  return bad === 0 && control <= text.length * 0.01;
}
