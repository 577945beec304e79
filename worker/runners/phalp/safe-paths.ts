import { mkdtemp, rmdir, symlink, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * PHALP builds unquoted shell commands from its paths (`rm -rf <output_dir>/...`, PHALP.md section 1),
 * so a space or a shell character in a path breaks it, or worse. The frames folder and the work
 * folder are handed to it as they are when they are plain; otherwise through symlinks with plain
 * names in a fresh temp folder (PHALP follows the links; its `rm -rf` runs on paths below them).
 */
const PLAIN = /^[A-Za-z0-9._/-]+$/;

export function isPlainPath(p: string): boolean {
  return PLAIN.test(p);
}

export interface PhalpPaths {
  /** `video.source`: the frames folder, absolute, no trailing slash */
  source: string;
  /** `video.output_dir` */
  outputDir: string;
  /** the clip name PHALP derives from the source (its last path component) */
  name: string;
  /** removes the symlinks (never what they point to) */
  release(): Promise<void>;
}

export async function plainPaths(framesDir: string, workDir: string): Promise<PhalpPaths> {
  const frames = path.resolve(framesDir);
  const work = path.resolve(workDir);
  if (isPlainPath(frames) && isPlainPath(work)) {
    return { source: frames, outputDir: work, name: path.basename(frames), release: async () => {} };
  }
  const tmp = isPlainPath(os.tmpdir()) ? os.tmpdir() : '/tmp';
  const linkDir = await mkdtemp(path.join(tmp, 'phalp-paths-'));
  const links: string[] = [];
  const link = async (target: string, name: string) => {
    if (isPlainPath(target)) return target;
    const at = path.join(linkDir, name);
    await symlink(target, at, 'dir');
    links.push(at);
    return at;
  };
  const base0 = path.basename(frames);
  const frameName = isPlainPath(base0) && base0 !== 'output' ? base0 : 'frames';
  const source = await link(frames, frameName);
  const outputDir = await link(work, 'output');
  return {
    source,
    outputDir,
    name: path.basename(source),
    release: async () => {
      for (const l of links) await unlink(l).catch(() => {});
      await rmdir(linkDir).catch(() => {});
    },
  };
}
