import { countExport } from '@/lib/auth/limits';
import { downloadHeaders, ExportError, parseExportQuery, requestExport } from '@/lib/export';
import { errorJson } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * GET /api/clips/:id/export?format=json|csv|bvh|glb|mp4[&from=&to=&tracks=1,3&smooth=1][&angles=...] : the
 * clip's motion as a file (lib/export). mp4 is rendered by a worker: 202 with `{status, progress, ...}`
 * while it is queued or running, then 200 with the file. Owner, admin, share viewers of the clip (their
 * file names never show the upload's name). A download, or a request that starts a render, counts
 * against the account's hourly export allowance; progress polls do not.
 */
export const GET = route({ clip: 'clip.export', share: true }, async ({ request, actor, clip }) => {
  try {
    const req = parseExportQuery(new URL(request.url).searchParams);
    const out = await requestExport(clip, req, {
      hideFilename: actor.kind === 'share',
      onCounted: actor.kind === 'user' ? () => countExport(actor.userId) : undefined,
    });
    if (out.kind === 'pending') {
      return Response.json(out.json, { status: out.status, headers: { 'cache-control': 'private, no-store', 'retry-after': '1' } });
    }
    return new Response(out.file.body, { status: 200, headers: downloadHeaders(out.file) });
  } catch (err) {
    if (err instanceof ExportError) return errorJson(err.status, err.message);
    throw err;
  }
});
