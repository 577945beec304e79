import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getConfig } from '../config';

let cached: { dataDir: string; fromEnv: string | null; secret: string } | null = null;

/**
 * The secret better-auth signs session cookies with: BETTER_AUTH_SECRET (or AUTH_SECRET) when set,
 * else one generated at first use and kept in DATA_DIR/auth-secret (mode 0600), so a fresh
 * `npm start` needs nothing and sessions survive restarts. Every web process of one install must
 * share it: several machines need the same BETTER_AUTH_SECRET (or the same DATA_DIR).
 */
export function authSecret(): string {
  const { authSecret: fromEnv, dataDir } = getConfig();
  if (cached && cached.dataDir === dataDir && cached.fromEnv === fromEnv) return cached.secret;
  const secret = fromEnv ?? readOrCreate(path.join(dataDir, 'auth-secret'));
  cached = { dataDir, fromEnv, secret };
  return secret;
}

function readOrCreate(file: string): string {
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
    throw new Error(`${file} holds fewer than 32 characters: delete it to have a new secret made, or set BETTER_AUTH_SECRET`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  try {
    // 'wx': of two processes starting at once, one writes and the other reads what it wrote
    fs.writeFileSync(file, `${secret}\n`, { flag: 'wx', mode: 0o600 });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return fs.readFileSync(file, 'utf8').trim();
  }
}
