import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOUBLE_DIR } from './helpers';

/**
 * The test double imitates names of the real 4D-Humans and PHALP code that the warm PHALP service
 * touches. test/fixtures/phalp-double/IMITATES.json says where each comes from (repository, commit, file,
 * line, text). Each entry is checked against the real source when a fetched copy of the repository is
 * on this machine (/work/.mirror/<owner>+<name>/repo, or PHALP_SOURCES_DIR/<owner>+<name>/repo), else
 * only against the note; always against the double and against service.py, which must use the same names.
 */
interface Entry { name: string; repo: string; file: string; line: number; text: string; double: string | null; doubleText: string | null }
const note = JSON.parse(fs.readFileSync(path.join(DOUBLE_DIR, 'IMITATES.json'), 'utf8')) as { repos: Record<string, string>; names: Entry[] };
const SERVICE = fs.readFileSync(path.resolve(import.meta.dirname, '../../worker/runners/phalp/service.py'), 'utf8');

function mirrorOf(repo: string): string | null {
  const base = process.env.PHALP_SOURCES_DIR || '/work/.mirror';
  const dir = path.join(base, repo.replace('/', '+'), 'repo');
  return fs.existsSync(dir) ? dir : null;
}

function realFile(repo: string, file: string): string | null {
  const dir = mirrorOf(repo);
  if (!dir) return null;
  for (const rev of [note.repos[repo], 'HEAD']) {
    try {
      return execFileSync('git', ['--git-dir', dir, 'show', `${rev}:${file}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      /* that commit is not in the copy: try the newest */
    }
  }
  return null;
}

describe('the double imitates real names (IMITATES.json)', () => {
  it('every noted name is at its file and line in the real source (or the note is complete when no copy is here)', () => {
    expect(note.names.length).toBeGreaterThan(10);
    const wrong: string[] = [];
    let checkedReal = 0;
    for (const e of note.names) {
      expect(e.line).toBeGreaterThan(0);
      expect(e.text.length).toBeGreaterThan(3);
      expect(Object.keys(note.repos)).toContain(e.repo);
      const src = realFile(e.repo, e.file);
      if (src === null) continue;
      checkedReal++;
      const line = src.split('\n')[e.line - 1] ?? '';
      if (!line.includes(e.text)) wrong.push(`${e.repo} ${e.file}:${e.line} is '${line.trim()}', the note says '${e.text}'`);
    }
    expect(wrong).toEqual([]);
    if (mirrorOf('brjathu/PHALP') && mirrorOf('shubham-goel/4D-Humans')) expect(checkedReal).toBe(note.names.length);
  });

  it('the double has each imitated name where the note says', () => {
    const missing = note.names
      .filter((e) => e.double)
      .filter((e) => !fs.readFileSync(path.join(DOUBLE_DIR, e.double!), 'utf8').includes(e.doubleText!))
      .map((e) => `${e.double}: no '${e.doubleText}' (for ${e.name})`);
    expect(missing).toEqual([]);
  });

  it('service.py builds and drives the tracker through exactly those names', () => {
    for (const used of ['track.HMR2_4dhuman(cfg)', "config_name='config'", "version_base='1.2'", 'tracker.default_setup()', 'tracker.track()', 'cfg.video.source =', 'cfg.video.output_dir =', 'out[1]',
      // results while tracking runs: the frame loop's names it reads
      "'progress_bar'", "loop_locals['list_of_frames']", "loop_locals['final_visuals_dic']", 'cfg.phalp.n_init']) {
      expect(SERVICE, used).toContain(used);
    }
  });
});
