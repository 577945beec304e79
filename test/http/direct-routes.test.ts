import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb } from '../../lib/db';
import { matchDirect, serveDirectly } from '../../lib/http/direct-routes';
import { route } from '../../lib/http/route';
import { closeSharedRedis } from '../../lib/redis';
import { findFreePort } from '../../scripts/services/free-port';
import { ensureWebBuild, startWebApp, waitForWebApp, type ManagedProcess } from '../../scripts/services/web-processes';
import { postFile, SAMPLE } from '../../bench/upload-throughput';
import { invitedCoach, makeClip } from '../auth/fixtures';
import { testUser, type TestUser } from '../auth/helpers';

/**
 * The routes the web server (scripts/web-server.mjs) answers without Next.js's router
 * (lib/http/direct-routes.ts): against the real production server, the poses and video routes answer
 * exactly as through Next.js (same bytes, ETag/304, Range, HEAD, access rule, the headers
 * next.config.mjs adds); uploads arrive whole, refusals are said, and a client that goes away mid-upload
 * leaves nothing behind; the metrics show that the direct lane answered them.
 */
describe('matching a request path to a registered route', () => {
  it('takes the parameters out of the path and leaves other paths alone', () => {
    serveDirectly('/api/test-direct/[id]/thing', { GET: route('public', () => new Response('x')) });
    expect(matchDirect('/api/test-direct/abc/thing')?.params).toEqual({ id: 'abc' });
    expect(matchDirect('/api/test-direct/a%20b/thing')?.params).toEqual({ id: 'a b' });
    expect(matchDirect('/api/test-direct/abc/thing/more')).toBeNull();
    expect(matchDirect('/api/test-direct//thing')).toBeNull();
    expect(matchDirect('/api/test-direct/a/b/thing')).toBeNull();
    // a malformed escape is left to Next.js (which answers 400)
    expect(matchDirect('/api/test-direct/%E0%A4%A/thing')).toBeNull();
    expect(() => serveDirectly('/clips/[id]', { GET: route('public', () => new Response('x')) })).toThrow(/only \/api/);
  });
});

let web: ManagedProcess;
let url = '';
let owner: TestUser;
let clipId = '';
const METRICS_TOKEN = 'direct-routes-test-token';
const UPLOAD_LIMIT = 40 * 1024 * 1024;

beforeAll(async () => {
  ensureWebBuild(() => {});
  owner = await testUser();
  clipId = await makeClip(owner.actor.userId);
  const port = await findFreePort();
  url = `http://127.0.0.1:${port}`;
  // the test's own MongoDB, Redis and DATA_DIR (so the session and the clip's files are the web app's)
  web = startWebApp('web', port, { METRICS_TOKEN, CLIP_CACHE_MS: '0', MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) });
  await waitForWebApp(web, url, 180_000);
  // waitForWebApp takes a 503 (a backing service not reached yet) as up; these tests need MongoDB reached
  for (let i = 0; i < 120 && (await fetch(`${url}/api/health`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 500));
}, 300_000);

afterAll(async () => {
  await web?.stop('SIGTERM', 20_000);
  await closeSharedRedis();
  await closeDb();
});

async function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  // identity unless asked: fetch would otherwise ask for gzip/br, which only the direct lane sends
  const res = await fetch(`${url}${path}`, { method, headers: { cookie: owner.cookie, 'accept-encoding': 'identity', ...headers } });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

async function directCount(template: string): Promise<number> {
  const text = await (await fetch(`${url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`motion_coach_http_direct_responses_total{route="${template}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('the poses and video routes on the production web server', { timeout: 120_000 }, () => {
  it('answer the same through the direct lane as through Next.js, and the direct lane is used', async () => {
    const poses = `/api/clips/${clipId}/poses`;
    // the first request loads the route module through Next.js (which registers it)
    const first = await get(poses);
    expect(first.res.status).toBe(200);
    const before = await directCount('/api/clips/[id]/poses');
    const second = await get(poses);
    const third = await get(poses);
    expect(await directCount('/api/clips/[id]/poses')).toBe(before + 2);
    for (const { res, body } of [second, third]) {
      expect(res.status).toBe(200);
      expect(body.equals(first.body)).toBe(true);
      expect(res.headers.get('etag')).toBe(first.res.headers.get('etag'));
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('x-final-frames')).toBe(first.res.headers.get('x-final-frames'));
      expect(res.headers.get('cache-control')).toBe('private, no-cache');
      expect(res.headers.get('vary')).toMatch(/Cookie/);
      // what next.config.mjs adds to every API response
      for (const h of ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'x-frame-options', 'permissions-policy', 'cross-origin-opener-policy']) {
        expect(res.headers.get(h), h).toBe(first.res.headers.get(h));
      }
    }
    // ETag -> 304; HEAD -> headers, no body
    const cached = await get(poses, { 'if-none-match': first.res.headers.get('etag')! });
    expect(cached.res.status).toBe(304);
    expect(cached.body.length).toBe(0);
    const head = await get(poses, {}, 'HEAD');
    expect(head.res.status).toBe(200);
    expect(Number(head.res.headers.get('content-length'))).toBe(first.body.length);
    expect(head.body.length).toBe(0);
    expect(await directCount('/api/clips/[id]/poses')).toBe(before + 4);
  });

  it('send the poses payload compressed as the client accepts (Brotli, else gzip), each with its own ETag', async () => {
    const poses = `/api/clips/${clipId}/poses`;
    const plain = await get(poses);
    const etags = new Set([plain.res.headers.get('etag')]);
    for (const [accept, expected] of [
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip, deflate', 'gzip'],
    ] as const) {
      // fetch decodes the body (and keeps the header): the decoded bytes are the payload
      const { res, body } = await get(poses, { 'accept-encoding': accept });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe(expected);
      expect(res.headers.get('vary')).toMatch(/Accept-Encoding/);
      expect(body.equals(plain.body)).toBe(true);
      etags.add(res.headers.get('etag'));
      expect((await get(poses, { 'accept-encoding': accept, 'if-none-match': res.headers.get('etag')! })).res.status).toBe(304);
    }
    expect(etags.size).toBe(3);
    // the length on the wire is the compressed one
    const raw = await new Promise<{ encoding?: string; length: number; declared: number }>((resolve, reject) => {
      http.get(`${url}${poses}`, { headers: { cookie: owner.cookie, 'accept-encoding': 'br' } }, (res) => {
        let length = 0;
        res.on('data', (c: Buffer) => (length += c.length));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], length, declared: Number(res.headers['content-length']) }));
      }).on('error', reject);
    });
    expect(raw.encoding).toBe('br');
    expect(raw.length).toBe(raw.declared);
    expect(raw.length).toBeLessThan(plain.body.length);
  });

  it('keep the access rule: anonymous 401, another account 404', async () => {
    await get(`/api/clips/${clipId}/poses`);
    const anonymous = await fetch(`${url}/api/clips/${clipId}/poses`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error).toMatch(/Sign in/);
    const other = await invitedCoach(owner, 'other');
    const res = await fetch(`${url}/api/clips/${clipId}/poses`, { headers: { cookie: other.cookie } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('serve video Ranges as Next.js does, and leave other methods to Next.js', async () => {
    const video = `/api/clips/${clipId}/video`;
    const whole = await get(video);
    expect(whole.res.status).toBe(200);
    const before = await directCount('/api/clips/[id]/video');
    const part = await get(video, { range: 'bytes=10-99' });
    expect(part.res.status).toBe(206);
    expect(part.res.headers.get('content-range')).toBe(`bytes 10-99/${whole.body.length}`);
    expect(part.body.equals(whole.body.subarray(10, 100))).toBe(true);
    expect((await get(video, { range: 'bytes=999999-' })).res.status).toBe(416);
    expect(await directCount('/api/clips/[id]/video')).toBe(before + 2);
    // not GET/HEAD: Next.js's router answers (the route has no POST)
    const post = await fetch(`${url}${video}`, { method: 'POST', headers: { cookie: owner.cookie, origin: url } });
    expect(post.status).toBe(405);
    expect(await directCount('/api/clips/[id]/video')).toBe(before + 2);
  });
});

/** Every file under `dir` (relative paths). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

describe('uploads through the direct lane', { timeout: 120_000 }, () => {
  const headers = () => ({ cookie: owner.cookie, origin: url });

  it('store a multipart upload whole, and refuse another content type with a clear message', async () => {
    // GET /api/clips loads the route module through Next.js (which registers its POST)
    expect((await fetch(`${url}/api/clips`, { headers: headers() })).status).toBe(200);
    const before = await directCount('/api/clips');
    const res = await postFile(`${url}/api/clips`, headers(), SAMPLE);
    expect(res.status, res.body).toBe(201);
    const clip = JSON.parse(res.body) as { id: string; sha256?: string };
    const stored = filesUnder(process.env.DATA_DIR!).find((f) => f.includes(clip.id) && f.endsWith('source.mp4')) ?? filesUnder(process.env.DATA_DIR!).find((f) => f.includes(clip.id));
    expect(stored, filesUnder(process.env.DATA_DIR!).join('\n')).toBeTruthy();
    const hash = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
    expect(hash(fs.readFileSync(path.join(process.env.DATA_DIR!, stored!)))).toBe(hash(fs.readFileSync(SAMPLE)));

    const wrongType = await fetch(`${url}/api/clips`, { method: 'POST', headers: { ...headers(), 'content-type': 'text/plain' }, body: Buffer.alloc(4 * 1024 * 1024, 1) });
    expect(wrongType.status).toBe(415);
    expect((await wrongType.json()).error).toMatch(/as the request body .* or as multipart/);
    // a state change signed in by cookie from another site: the same CSRF refusal as through Next.js
    const foreign = await fetch(`${url}/api/clips`, { method: 'POST', headers: { cookie: owner.cookie, origin: 'https://elsewhere.example' }, body: new FormData() });
    expect(foreign.status).toBe(403);
    expect(await directCount('/api/clips')).toBe(before + 3);
  });

  it('store a raw upload (the file as the body, what the page sends) whole, with its name', async () => {
    const res = await fetch(`${url}/api/clips`, {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'video/mp4', 'x-filename': encodeURIComponent('Sprint – Lauf 3.mp4') },
      body: fs.readFileSync(SAMPLE),
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const clip = JSON.parse(text) as { id: string; filename: string };
    expect(clip.filename).toBe('Sprint – Lauf 3.mp4');
    const stored = filesUnder(process.env.DATA_DIR!).filter((f) => f.includes(clip.id));
    const hash = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
    expect(stored.map((f) => hash(fs.readFileSync(path.join(process.env.DATA_DIR!, f))))).toContain(hash(fs.readFileSync(SAMPLE)));
    // text sent as a raw upload: the bytes are looked at and said to be text
    const text415 = await fetch(`${url}/api/clips`, { method: 'POST', headers: { ...headers(), 'content-type': 'application/octet-stream', 'x-filename': 'notes.mp4' }, body: 'just some notes\n'.repeat(1000) });
    expect(text415.status).toBe(415);
    expect((await text415.json()).error).toMatch(/text/i);
  });

  it('cut off a raw upload of unknown length at the size limit (413) and keep nothing of it', async () => {
    const filesBefore = filesUnder(process.env.DATA_DIR!).length;
    const chunk = Buffer.alloc(1024 * 1024, 3);
    let sent = 0;
    // no Content-Length: the limit can only be seen while streaming
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= UPLOAD_LIMIT + 8 * chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${url}/api/clips`, { method: 'POST', headers: { ...headers(), 'content-type': 'video/mp4', 'x-filename': 'huge.mp4' }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/larger than the limit/);
    let files = filesUnder(process.env.DATA_DIR!);
    for (let i = 0; i < 50 && files.length !== filesBefore; i++) {
      await new Promise((r) => setTimeout(r, 200));
      files = filesUnder(process.env.DATA_DIR!);
    }
    expect(files.length, files.join('\n')).toBe(filesBefore);
  });

  it('keep nothing of an upload whose client goes away halfway, and go on serving', async () => {
    const clipsBefore = ((await (await fetch(`${url}/api/clips`, { headers: headers() })).json()) as { clips: unknown[] }).clips.length;
    const filesBefore = filesUnder(process.env.DATA_DIR!).length;
    const boundary = '----mcabort';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
    const video = fs.readFileSync(SAMPLE);
    await new Promise<void>((resolve) => {
      const req = http.request(`${url}/api/clips`, {
        method: 'POST',
        headers: { ...headers(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + video.length * 2) },
      });
      req.on('error', () => resolve());
      req.write(head);
      req.write(video.subarray(0, video.length / 2), () => setTimeout(() => (req.destroy(), resolve()), 500));
    });
    // the server notices, refuses the upload and removes what it wrote
    let files = filesUnder(process.env.DATA_DIR!);
    for (let i = 0; i < 50 && files.length !== filesBefore; i++) {
      await new Promise((r) => setTimeout(r, 200));
      files = filesUnder(process.env.DATA_DIR!);
    }
    expect(files.length, files.join('\n')).toBe(filesBefore);
    const after = (await (await fetch(`${url}/api/clips`, { headers: headers() })).json()) as { clips: unknown[] };
    expect(after.clips.length).toBe(clipsBefore);
    expect(web.exited()).toBe(false);
  });
});
