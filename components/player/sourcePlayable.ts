import type { ClipDTO } from '@/lib/clips/types';

const MP4_FAMILY = /(^|,)(mov|mp4)(,|$)/;
/** an RFC 6381 codecs string per ffprobe codec name, for canPlayType (a common profile of each) */
const CODECS: Record<string, string> = {
  h264: 'avc1.640028',
  hevc: 'hvc1.1.6.L120.90',
  vp9: 'vp09.00.40.08',
  av1: 'av01.0.08M.08',
};

/**
 * Whether this browser can play the clip's upload itself (before the H.264 copy for browsers exists,
 * while tracking runs): an MP4/MOV whose video codec the browser says it can play (canPlayType). The
 * upload and the copy have the same frames at the same times, so the player switches without a jump.
 */
export function sourcePlaysInThisBrowser(clip: Pick<ClipDTO, 'container' | 'codec'>): boolean {
  if (typeof document === 'undefined' || !clip.container || !MP4_FAMILY.test(clip.container) || !clip.codec) return false;
  const codecs = CODECS[clip.codec];
  return !!codecs && document.createElement('video').canPlayType(`video/mp4; codecs="${codecs}"`) !== '';
}
