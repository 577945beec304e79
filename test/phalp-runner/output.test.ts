import { rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { LineSplitter, LogTail, clockSeconds, parseLine, stripAnsi } from '../../worker/runners/phalp/output';
import { DOUBLE_DIR, PYTHON, makeFrames, tempDir } from './helpers';

describe('PHALP console output', () => {
  it('reads a rich progress redraw with colours, cursor codes and a spinner', () => {
    const raw =
      '\r\x1b[2KTracking : clip \x1b[32m⠸\x1b[0m \x1b[38;2;249;38;114m━━━━━╸\x1b[0m\x1b[38;5;237m━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\x1b[0m ' +
      '\x1b[35m 15%\x1b[0m eta : \x1b[36m0:01:05\x1b[0m  time elapsed : \x1b[33m1:00:02\x1b[0m';
    const line = parseLine(raw);
    expect(line).toMatchObject({ kind: 'progress', percent: 15, etaSeconds: 65, elapsedSeconds: 3602 });
    expect(line?.line).not.toContain('\x1b');
  });

  it('has no eta before the first frame (rich prints -:--:--)', () => {
    expect(parseLine('Tracking : x ⠋       0% eta : -:--:--  time elapsed : 0:00:00')).toMatchObject({ percent: 0, etaSeconds: null });
    expect(clockSeconds('-:--:--')).toBeNull();
  });

  it('tells Hydra log lines from other text', () => {
    expect(parseLine('[2024-05-01 12:00:00,000][phalp.trackers.PHALP][INFO] - Loading Detection model...')).toEqual({
      kind: 'log',
      line: '[2024-05-01 12:00:00,000][phalp.trackers.PHALP][INFO] - Loading Detection model...',
      logger: 'phalp.trackers.PHALP',
      level: 'INFO',
      message: 'Loading Detection model...',
    });
    expect(parseLine('Traceback (most recent call last):')).toEqual({ kind: 'text', line: 'Traceback (most recent call last):' });
    expect(parseLine('\x1b[?25h')).toBeNull();
  });

  it('splits on \\r and \\n across chunk boundaries and keeps an unfinished redraw for later', () => {
    const s = new LineSplitter();
    expect(s.push('[2024-05-01 12:00:00,000][a][INFO] - one\n\x1b[?25l\r\x1b[2KTracking : c ⠋ ━ ')).toHaveLength(1);
    const lines = s.push(' 5% eta : 0:00:09  time elapsed : 0:00:01\r\x1b[2KTracking : c ⠙ ━━  10% eta');
    expect(lines.map((l) => l.kind)).toEqual(['progress']);
    expect(lines[0]).toMatchObject({ percent: 5 });
    expect(s.push(' : 0:00:08  time elapsed : 0:00:01\r\n')).toMatchObject([{ kind: 'progress', percent: 10 }]);
    expect(s.flush()).toEqual([]);
  });

  it('log tail collapses consecutive redraws into the latest', () => {
    const tail = new LogTail(3);
    for (const raw of ['a', 'Tracking : c ⠋ 1% eta : 0:00:09  time elapsed : 0:00:01', 'Tracking : c ⠋ 2% eta : 0:00:09  time elapsed : 0:00:01', 'b', 'c']) {
      tail.add(parseLine(raw)!);
    }
    expect(tail.get()).toEqual(['Tracking : c ⠋ 2% eta : 0:00:09  time elapsed : 0:00:01', 'b', 'c']);
  });

  it('parses what the track.py double really prints, in order, ending at 100 %', async () => {
    const dir = await tempDir('phalp-out-');
    await makeFrames(path.join(dir, 'frames'), 12, 160, 120);
    const r = await execa(PYTHON, ['track.py', `video.source=${dir}/frames`, `video.output_dir=${dir}/out`, 'video.end_frame=-1', 'render.enable=false'], {
      cwd: DOUBLE_DIR,
      env: { FORCE_COLOR: '1', NO_COLOR: '', PHALP_DOUBLE_FPS: '30' },
    });
    await rm(dir, { recursive: true, force: true });
    expect(stripAnsi(r.stdout)).not.toContain('\x1b');
    const s = new LineSplitter();
    const lines = [...s.push(r.stdout), ...s.flush()];
    const progress = lines.filter((l) => l.kind === 'progress').map((l) => (l.kind === 'progress' ? l.percent : -1));
    expect(lines[0]).toMatchObject({ kind: 'log', message: 'Loading Predictor model...' });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[progress.length - 1]).toBe(100);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });
});
