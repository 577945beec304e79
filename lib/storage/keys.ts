/**
 * Blob keys of a clip (the database stores none of them: they follow from the clip id). With the disk
 * backend a key is also the path under DATA_DIR, which is the layout of lib/storage/layout.ts.
 */
export function clipKeys(clipId: string) {
  if (!/^[0-9a-f]{24}$/.test(clipId)) throw new Error(`invalid clip id '${clipId}'`);
  const prefix = `clips/${clipId}/`;
  return {
    /** every blob of the clip */
    prefix,
    source: `${prefix}source`,
    playable: `${prefix}playable.mp4`,
    frameIndex: `${prefix}frames.json`,
    thumbnail: `${prefix}thumb.jpg`,
    /** the player's poses payload of one result version (lib/clips/poses-blob.ts) */
    posesPrefix: `${prefix}poses/`,
    poses: (version: string) => `${prefix}poses/${version}.bin`,
  };
}
