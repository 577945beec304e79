import { downloadHeaders, ExportError, exportClip, parseExportQuery } from '@/lib/export';
import { errorJson } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * GET /api/clips/:id/export?format=json|csv|bvh|glb[&from=&to=&tracks=1,3&smooth=1] : the clip's motion as a
 * file (lib/export). Owner, admin, share viewers of the clip (their file names never show the upload's name).
 */
export const GET = route(
  { clip: 'clip.export', share: true },
  async ({ request, actor, clip }) => {
    try {
      const req = parseExportQuery(new URL(request.url).searchParams);
      const file = await exportClip(clip._id.toHexString(), req, { hideFilename: actor.kind === 'share' });
      return new Response(file.body, { status: 200, headers: downloadHeaders(file) });
    } catch (err) {
      if (err instanceof ExportError) return errorJson(err.status, err.message);
      throw err;
    }
  },
  { rateLimit: 'exports' },
);
