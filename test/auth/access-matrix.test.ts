import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvite } from '../../lib/auth/invites';
import { resetConfigForTests } from '../../lib/config';
import { closeDb } from '../../lib/db';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import type { RouteHandler } from '../../lib/http/route';
import { standinFiles } from '../smpl/fixture';
import { apiKey, clipExists, invitedCoach, makeClip, shareLink } from './fixtures';
import { cookiesOf, ORIGIN, signIn, signUp, type TestUser } from './helpers';

/**
 * The access matrix (issue 12): every route of the app, found by walking app/ (a new route.ts without
 * a rule, or without a row here, fails this test), called as anonymous, another coach, a share-link
 * viewer (of the owner's clip), an API key of the owner, the owner (session) and the admin, against the
 * expected status of each. Destructive calls get a fresh clip / key / link / invite per caller.
 */
const APP = path.resolve(import.meta.dirname, '../../app');
const CALLERS = ['anonymous', 'otherCoach', 'shareViewer', 'ownerApiKey', 'owner', 'admin'] as const;
type Caller = (typeof CALLERS)[number];
type Row = [number, number, number, number, number, number];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Expected status per caller, in CALLERS order. Key: `METHOD /route/template`. */
const EXPECTED: Record<string, Row> = {
  //                                               anon other share key  owner admin
  'GET /api/auth/[...all]':                        [200, 200, 200, 200, 200, 200], // get-session (null when none)
  'POST /api/auth/[...all]':                       [200, 200, 200, 200, 200, 200], // sign-out
  'GET /api/me':                                   [200, 200, 200, 200, 200, 200],
  'GET /api/health':                               [200, 200, 200, 200, 200, 200],
  'GET /api/metrics':                              [200, 200, 200, 200, 200, 200], // METRICS_TOKEN unset here (test/metrics checks the guard)
  'GET /api/body-model':                           [401, 200, 200, 200, 200, 200],
  'GET /api/clips':                                [401, 200, 401, 200, 200, 200],
  'POST /api/clips':                               [401, 415, 401, 415, 415, 415], // access passes, then "send multipart"
  'GET /api/events':                               [401, 200, 401, 200, 200, 200],
  'GET /api/queue':                                [401, 200, 401, 200, 200, 200],
  'GET /api/clips/[id]':                           [401, 404, 200, 200, 200, 200],
  'DELETE /api/clips/[id]':                        [401, 404, 401, 200, 200, 200],
  'POST /api/clips/[id]/cancel':                   [401, 404, 401, 200, 200, 200],
  'POST /api/clips/[id]/retry':                    [401, 404, 401, 200, 200, 200],
  'GET /api/clips/[id]/events':                    [401, 404, 200, 200, 200, 200],
  'GET /api/clips/[id]/frames':                    [401, 404, 200, 200, 200, 200],
  'GET /api/clips/[id]/poses':                     [401, 404, 200, 200, 200, 200],
  'GET /api/clips/[id]/thumbnail':                 [401, 404, 200, 200, 200, 200],
  'GET /api/clips/[id]/video':                     [401, 404, 200, 200, 200, 200],
  'GET /api/clips/[id]/export':                    [401, 404, 200, 200, 200, 200], // ?format=json
  'GET /api/clips/[id]/shares':                    [401, 404, 401, 200, 200, 404], // links are the owner's decision
  'POST /api/clips/[id]/shares':                   [401, 404, 401, 201, 201, 404],
  'DELETE /api/clips/[id]/shares/[shareId]':       [401, 404, 401, 200, 200, 404],
  'GET /api/account/keys':                         [401, 200, 401, 200, 200, 200],
  'POST /api/account/keys':                        [401, 201, 401, 201, 201, 201],
  'DELETE /api/account/keys/[keyId]':              [401, 404, 401, 200, 200, 404], // the owner's key
  'DELETE /api/account':                           [401, 403, 401, 403, 403, 403], // wrong password: nobody is deleted here
  'GET /api/admin/invites':                        [401, 403, 401, 403, 403, 200],
  'POST /api/admin/invites':                       [401, 403, 401, 403, 403, 201],
  'DELETE /api/admin/invites/[inviteId]':          [401, 403, 401, 403, 403, 200],
  // the original pose service's API (issue 11): same callers as the rest of the API, no share links
  'POST /pose/video':                              [401, 400, 401, 400, 400, 400], // {} -> "Missing video_path parameter"
  'GET /pose/video/status/[id]':                   [401, 404, 401, 200, 200, 200],
  'POST /pose/hybrid':                             [401, 400, 401, 400, 400, 400], // {} -> "Missing image_base64"
  'GET /api/pose/health':                          [401, 503, 401, 503, 503, 503], // no worker runs here: 'initializing'
  'GET /api/pose/pool-status':                     [401, 200, 401, 200, 200, 200],
};

function routeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return routeFiles(p);
    return /^route\.(ts|tsx|js|mjs)$/.test(e.name) ? [p] : [];
  });
}
const template = (file: string) => '/' + path.relative(APP, path.dirname(file)).split(path.sep).join('/');

let admin: TestUser, owner: TestUser, other: TestUser;
let ownerKey: string;
let sharedClip: string, share: string;

beforeAll(async () => {
  process.env.SMPL_MODEL_PATH = standinFiles().pkl;
  resetConfigForTests();
  admin = await signUp({ name: 'admin' });
  owner = await invitedCoach(admin, 'owner');
  other = await invitedCoach(admin, 'other');
  ownerKey = (await apiKey(owner)).key;
  sharedClip = await makeClip(owner.actor.userId, 'done');
  share = (await shareLink(owner, sharedClip)).token;
}, 120_000);
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
});

/** The request as each caller sends it. */
function requestAs(caller: Caller, method: string, url: string, body?: string, cookie?: string): Request {
  const headers = new Headers();
  const u = new URL(url, ORIGIN);
  if (body !== undefined) headers.set('content-type', 'application/json');
  const session = { otherCoach: other, owner, admin }[caller as 'otherCoach' | 'owner' | 'admin'];
  if (session) {
    headers.set('cookie', cookie ?? session.cookie);
    if (method !== 'GET') headers.set('origin', ORIGIN);
  }
  if (caller === 'ownerApiKey') headers.set('authorization', `Bearer ${ownerKey}`);
  if (caller === 'shareViewer') u.searchParams.set('share', share);
  return new Request(u, { method, headers, body });
}

/** Route parameters, body and URL for one call; destructive calls get their own fresh objects. */
async function callFor(key: string, caller: Caller): Promise<{ url: string; params: Record<string, string | string[]>; body?: string; cookie?: string }> {
  const [method, tpl] = key.split(' ');
  if (tpl === '/api/auth/[...all]') {
    if (method === 'GET') return { url: '/api/auth/get-session', params: { all: ['get-session'] } };
    // sign-out ends a session of its own, so the callers' sessions live on for the other rows
    const user = { otherCoach: other, owner, admin }[caller as 'otherCoach' | 'owner' | 'admin'];
    const cookie = user ? cookiesOf(await signIn(user.email, user.password)) : undefined;
    return { url: '/api/auth/sign-out', params: { all: ['sign-out'] }, body: '{}', cookie };
  }
  let clipId = sharedClip;
  if (method !== 'GET' && tpl.includes('[id]')) {
    const status = tpl.endsWith('/cancel') ? 'queued' : tpl.endsWith('/retry') ? 'failed' : 'done';
    clipId = await makeClip(owner.actor.userId, status);
  }
  const p: Record<string, string> = { id: clipId };
  let body: string | undefined = method === 'GET' || method === 'DELETE' ? undefined : '{}';
  if (tpl.includes('[shareId]')) p.shareId = (await shareLink(owner, clipId)).id;
  if (tpl.includes('[keyId]')) p.keyId = (await apiKey(owner, `to revoke by ${caller}`)).id;
  if (tpl.includes('[inviteId]')) p.inviteId = (await createInvite(admin.actor.userId, null)).invite._id.toHexString();
  if (key === 'POST /api/account/keys') body = JSON.stringify({ name: `made by ${caller}` });
  if (key === 'POST /api/clips/[id]/shares') body = JSON.stringify({ expiresInDays: 1 });
  if (key === 'DELETE /api/account') body = JSON.stringify({ password: 'not the password' });
  let url = tpl.replace(/\[(\w+)\]/g, (_, name: string) => p[name]);
  if (tpl.endsWith('/export')) url += '?format=json';
  return { url, params: p, body };
}

describe('access matrix', { timeout: 300_000 }, () => {
  it('every exported HTTP method of every app/**/route.ts is a route() with a declared rule and has a row here', async () => {
    const files = routeFiles(APP);
    expect(files.length).toBeGreaterThan(15);
    const missing: string[] = [];
    for (const file of files) {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const m of METHODS) {
        if (!(m in mod)) continue;
        const key = `${m} ${template(file)}`;
        const rule = (mod[m] as Partial<RouteHandler>).rule;
        if (!rule) missing.push(`${key}: not wrapped in route() (no declared access rule)`);
        if (!EXPECTED[key]) missing.push(`${key}: no row in the access matrix`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('answers each caller with the expected status', async () => {
    const failures: string[] = [];
    for (const file of routeFiles(APP)) {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, RouteHandler>;
      for (const m of METHODS) {
        if (!(m in mod)) continue;
        const key = `${m} ${template(file)}`;
        const row = EXPECTED[key];
        if (!row) continue; // reported by the test above
        for (const [i, caller] of CALLERS.entries()) {
          const { url, params, body, cookie } = await callFor(key, caller);
          const res = await mod[m](requestAs(caller, m, url, body, cookie), { params: Promise.resolve(params) });
          const text = res.headers.get('content-type')?.includes('event-stream') ? '(stream)' : (await res.text()).slice(0, 160);
          await res.body?.cancel().catch(() => {});
          if (res.status !== row[i]) failures.push(`${key} as ${caller}: ${res.status}, expected ${row[i]} — ${text}`);
          if (m === 'DELETE' && key === 'DELETE /api/clips/[id]') {
            const gone = !(await clipExists(params.id as string));
            if (gone !== (row[i] === 200)) failures.push(`${key} as ${caller}: clip ${gone ? 'deleted' : 'still there'}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('lists and streams show only the caller’s clips; a share view is minimal; health detail only for admins', async () => {
    const { GET: list } = await import('../../app/api/clips/route');
    const ids = async (caller: Caller, q = '') => ((await (await list(requestAs(caller, 'GET', `/api/clips${q}`))).json()) as { clips: { id: string }[] }).clips.map((c) => c.id);
    expect(await ids('owner')).toContain(sharedClip);
    expect(await ids('ownerApiKey')).toContain(sharedClip);
    expect(await ids('otherCoach')).not.toContain(sharedClip);
    expect(await ids('admin')).not.toContain(sharedClip); // the admin's library is their own...
    expect(await ids('admin', '?all=1')).toContain(sharedClip); // ...unless they ask for every clip
    expect(await ids('otherCoach', '?all=1')).not.toContain(sharedClip); // not for coaches

    const { GET: one } = await import('../../app/api/clips/[id]/route');
    const failed = await makeClip(owner.actor.userId, 'failed');
    const { token } = await shareLink(owner, failed);
    const view = await (await one(new Request(`${ORIGIN}/api/clips/${failed}?share=${token}`), { params: Promise.resolve({ id: failed }) })).json();
    expect(view).toMatchObject({ id: failed, status: 'failed', filename: 'Shared clip', sha256: '', logTail: [], runnerNote: null, reusedFrom: null, ownerId: null, error: 'Processing failed.' });
    const full = await (await one(requestAs('owner', 'GET', `/api/clips/${failed}`), { params: Promise.resolve({ id: failed }) })).json();
    expect(full).toMatchObject({ filename: 'athlete-failed.mp4', ownerId: owner.actor.userId, logTail: ['a log line'] });
    // a link opens its own clip only
    const elsewhere = await one(new Request(`${ORIGIN}/api/clips/${sharedClip}?share=${token}`), { params: Promise.resolve({ id: sharedClip }) });
    expect(elsewhere.status).toBe(404);

    const { GET: health } = await import('../../app/api/health/route');
    expect(await (await health(requestAs('owner', 'GET', '/api/health'))).json()).toEqual({ ok: true });
    expect(await (await health(requestAs('anonymous', 'GET', '/api/health'))).json()).toEqual({ ok: true });
    expect(Object.keys(await (await health(requestAs('admin', 'GET', '/api/health'))).json()).sort()).toEqual(['mongodb', 'ok', 'queue', 'redis', 'workers']);

    const { GET: bodyModel } = await import('../../app/api/body-model/route');
    const bm = await bodyModel(requestAs('shareViewer', 'GET', '/api/body-model'));
    expect(bm.status).toBe(200);
    expect(bm.headers.get('cache-control')).toMatch(/private/);
    expect(bm.headers.get('vary')).toMatch(/Cookie/);
    await bm.body?.cancel();
  });

  it('the library event stream carries only the caller’s clips', async () => {
    const { GET: events } = await import('../../app/api/events/route');
    const { publishClipChanged } = await import('../../lib/queue');
    const ctl = new AbortController();
    const req = requestAs('otherCoach', 'GET', '/api/events');
    const res = await events(new Request(req, { signal: ctl.signal }));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const mine = await makeClip(other.actor.userId, 'queued');
    const theirs = await makeClip(owner.actor.userId, 'queued');
    await new Promise((r) => setTimeout(r, 300)); // the stream subscribes at start
    await publishClipChanged(theirs);
    await publishClipChanged(mine);
    let text = '';
    const until = Date.now() + 10_000;
    while (!text.includes(mine) && Date.now() < until) {
      const { value, done } = await Promise.race([reader.read(), new Promise<{ value: undefined; done: true }>((r) => setTimeout(() => r({ value: undefined, done: true }), 2000))]);
      if (value) text += new TextDecoder().decode(value);
      if (done && !value) await publishClipChanged(mine);
    }
    ctl.abort();
    await reader.cancel().catch(() => {});
    expect(text).toContain(mine);
    expect(text).not.toContain(theirs);
  });
});
