/** Test helper: generates the fixture pickles (scripts/fixtures/make_pickles.py) into a temp dir. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SAMPLES = path.resolve(ROOT, '../shared/samples/phalp');
export const PY = '/usr/bin/python3';

export function makeFixtures(extra: string[] = []): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pkl-fixtures-'));
  execFileSync(PY, [path.join(ROOT, 'scripts/fixtures/make_pickles.py'), dir, ...extra], { stdio: 'inherit' });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Python's view of a file, as canonical JSON (scripts/fixtures/joblib_to_json.py). */
export function pythonJson(file: string, latin1 = false): string {
  return pythonJsonMany([file], latin1)[0];
}

/** One Python process for many files (its start-up costs ~1 s here); one JSON line per file. */
export function pythonJsonMany(files: string[], latin1 = false): string[] {
  const args = [path.join(ROOT, 'scripts/fixtures/joblib_to_json.py'), ...(latin1 ? ['--latin1'] : []), ...files];
  const lines = execFileSync(PY, args, { maxBuffer: 1 << 30, encoding: 'utf8' }).trimEnd().split('\n');
  if (lines.length !== files.length) throw new Error(`python printed ${lines.length} lines for ${files.length} files`);
  return lines;
}
