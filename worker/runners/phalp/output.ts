/**
 * Reads track.py's console output as it streams (PHALP.md section 1): Hydra log lines before the
 * frame loop, then a `rich` progress bar redrawn about 10 times a second with `\r` and ANSI codes:
 *   Tracking : <name> <spinner> ━━━━╸     15% eta : 0:00:01  time elapsed : 0:00:00
 * Pure string handling, no I/O, so it is tested on its own.
 */

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const PROGRESS = /Tracking\s*:.*?(\d{1,3}(?:\.\d+)?)%\s+eta\s*:\s*(-:--:--|\d+:\d{2}:\d{2})\s+time elapsed\s*:\s*(\d+:\d{2}:\d{2})/;
const HYDRA_LOG = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\]\[([^\]]+)\]\[([A-Z]+)\] - (.*)$/;

export const TRACEBACK = 'Traceback (most recent call last)';

export type OutputLine =
  | { kind: 'progress'; line: string; percent: number; etaSeconds: number | null; elapsedSeconds: number }
  | { kind: 'log'; line: string; logger: string; level: string; message: string }
  | { kind: 'text'; line: string };

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** "1:02:03" -> 3723; rich's "-:--:--" (no estimate yet) -> null. */
export function clockSeconds(clock: string): number | null {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(clock);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

export function parseLine(raw: string): OutputLine | null {
  const line = stripAnsi(raw).trimEnd();
  if (line.trim() === '') return null;
  const p = PROGRESS.exec(line);
  if (p) {
    return {
      kind: 'progress',
      line: line.trim(),
      percent: Math.min(100, Number(p[1])),
      etaSeconds: clockSeconds(p[2]),
      elapsedSeconds: clockSeconds(p[3]) ?? 0,
    };
  }
  const h = HYDRA_LOG.exec(line);
  if (h) return { kind: 'log', line, logger: h[1], level: h[2], message: h[3] };
  return { kind: 'text', line };
}

/**
 * Splits one output stream into lines on `\r` and `\n`. A piece without its terminator waits for
 * the next chunk (a redraw is complete once the next `\r` arrives); `flush()` returns the rest.
 */
export class LineSplitter {
  private pending = '';

  push(chunk: string): OutputLine[] {
    const pieces = (this.pending + chunk).split(/\r\n|\r|\n/);
    this.pending = pieces.pop() ?? '';
    return pieces.map(parseLine).filter((l): l is OutputLine => l !== null);
  }

  flush(): OutputLine[] {
    const rest = this.pending;
    this.pending = '';
    const line = parseLine(rest);
    return line ? [line] : [];
  }
}

/**
 * The last lines worth showing when a run fails: consecutive progress redraws collapse into the
 * latest one, so the tail holds the messages and tracebacks instead of a hundred bar updates.
 */
export class LogTail {
  private lines: OutputLine[] = [];

  constructor(private readonly max = 40) {}

  add(line: OutputLine): void {
    const last = this.lines[this.lines.length - 1];
    if (line.kind === 'progress' && last?.kind === 'progress') this.lines[this.lines.length - 1] = line;
    else this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }

  get(): string[] {
    return this.lines.map((l) => l.line);
  }
}
