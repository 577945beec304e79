/** Small display helpers shared by the library and clip pages. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return m ? `${m}:${s.toFixed(1).padStart(4, '0')}` : `${s.toFixed(1)} s`;
}

export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min left` : `${(m / 60).toFixed(1)} h left`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export const STAGE_LABEL: Record<string, string> = {
  uploaded: 'Waiting in queue',
  probing: 'Reading the video',
  extracting: 'Extracting frames',
  transcoding: 'Preparing playback',
  tracking: 'Tracking bodies',
  ingesting: 'Saving results',
  done: 'Done',
};
