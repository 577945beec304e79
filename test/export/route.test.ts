import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET } from '../../app/api/clips/[id]/export/route';
import { exportUrl } from '../../components/clip/exportUrl';
import { parseExportQuery } from '../../lib/export';
import { createShare } from '../../lib/auth/shares';
import { closeDb } from '../../lib/db';
import { asUser, ORIGIN, params, testUser, type TestUser } from '../auth/helpers';
import { storeClip, twoAthletes } from './fixtures';

/** GET /api/clips/:id/export through the real route wrapper (auth, share links, errors, headers). */

let user: TestUser;
let clipId: string;
let token: string;
beforeAll(async () => {
  user = await testUser();
  clipId = await storeClip(twoAthletes(30), { ownerId: user.actor.userId });
  ({ token } = await createShare(clipId, user.actor.userId, null));
});
afterAll(async () => closeDb());

const get = (req: Request) => GET(req, params({ id: clipId }));

describe('export route', () => {
  it('owner: a streamed download named after the clip, range and athlete', async () => {
    const res = await get(asUser(user, `/api/clips/${clipId}/export?format=csv&from=14&to=22&tracks=2`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Sprint-a-100m-take-2_frames-14-22_athlete-2.csv"; filename*=UTF-8''Sprint-a-100m-take-2_frames-14-22_athlete-2.csv`,
    );
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines.length).toBe(1 + 9);
    expect(lines.slice(1).every((l) => l.startsWith('Sprint-a-100m-take-2,'))).toBe(true);
  });

  it('share viewer: allowed, and the file never shows the upload\'s name', async () => {
    const res = await GET(new Request(`${ORIGIN}/api/clips/${clipId}/export?format=json&share=${token}`), params({ id: clipId }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`filename="clip-${clipId}_frames-0-29_athletes-1-2.json"`);
    const text = await res.text();
    expect(text).not.toContain('Sprint');
    expect(JSON.parse(text).frames).toHaveLength(30);
  });

  it('anonymous 401; bad options 400 with the reason; GLB and BVH types', async () => {
    expect((await GET(new Request(`${ORIGIN}/api/clips/${clipId}/export?format=json`), params({ id: clipId }))).status).toBe(401);
    const bad = await get(asUser(user, `/api/clips/${clipId}/export?format=fbx`));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/format must be one of json, csv, bvh, glb/);
    const glb = await get(asUser(user, `/api/clips/${clipId}/export?format=glb&tracks=1`));
    expect(glb.headers.get('content-type')).toBe('model/gltf-binary');
    expect(Buffer.from(await glb.arrayBuffer()).subarray(0, 4).toString()).toBe('glTF');
    const zip = await get(asUser(user, `/api/clips/${clipId}/export?format=bvh`));
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
  });

  it('the Download menu\'s URLs are what the endpoint reads', async () => {
    const url = exportUrl(clipId, { format: 'bvh', range: [14, 22], tracks: [2], smooth: true });
    expect(url).toBe(`/api/clips/${clipId}/export?format=bvh&from=14&to=22&tracks=2&smooth=1`);
    expect(parseExportQuery(new URL(url, ORIGIN).searchParams)).toEqual({ format: 'bvh', from: 14, to: 22, tracks: [2], smooth: true });
    expect(exportUrl(clipId, { format: 'glb', range: null, tracks: null, smooth: false })).toBe(`/api/clips/${clipId}/export?format=glb`);
    const res = await get(asUser(user, url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('_frames-14-22_athlete-2_smoothed.bvh"');
    expect(await res.text()).toContain('\nFrames: 9\n');
  });
});
