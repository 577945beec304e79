import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../setup/test-services';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Starts the fixture in its own process and resolves with the redis pid it reports. */
function startFixture(dir: string) {
  // node --import tsx (not the tsx CLI, which runs the script in a second process): the pid we kill is the one that started redis
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/start-redis-and-wait.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<{ redisPid: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code} before reporting`)));
  });
  return { child, ready };
}

describe('no orphan servers', () => {
  it('a redis-server stops when the process that started it is killed with SIGKILL', async () => {
    const { child, ready } = startFixture(testTempDir('orphan-kill'));
    const { redisPid } = await ready;
    expect(isAlive(redisPid)).toBe(true);
    child.kill('SIGKILL');
    expect(await waitFor(() => !isAlive(redisPid), 10_000)).toBe(true);
  });

  it('a redis-server stops when the process that started it dies of SIGINT (Ctrl-C, no exit hooks)', async () => {
    const { child, ready } = startFixture(testTempDir('orphan-int'));
    const { redisPid } = await ready;
    child.kill('SIGINT');
    expect(await waitFor(() => !isAlive(redisPid), 10_000)).toBe(true);
  });
});
