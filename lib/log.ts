/**
 * Structured logs: one JSON line per event on stdout (stderr for warnings and errors), with the
 * fields that tie it to a clip, a job and a duration. `log.child({clipId})` carries fields along.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

function minLevel(): Level {
  const v = process.env.LOG_LEVEL;
  return v === 'debug' || v === 'warn' || v === 'error' ? v : 'info';
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) return { message: value.message, name: value.name, stack: value.stack };
  return value;
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  const write = (level: Level, event: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < ORDER[minLevel()]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, event, ...base };
    for (const [k, v] of Object.entries(fields)) entry[k] = serialise(v);
    const line = JSON.stringify(entry) + '\n';
    if (level === 'warn' || level === 'error') process.stderr.write(line);
    else process.stdout.write(line);
  };
  return {
    debug: (e, f) => write('debug', e, f),
    info: (e, f) => write('info', e, f),
    warn: (e, f) => write('warn', e, f),
    error: (e, f) => write('error', e, f),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

export const log = createLogger({ proc: process.env.MC_PROCESS_NAME ?? 'app' });
