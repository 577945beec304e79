import { requestOrigin } from '@/lib/auth/origin';
import { createShare, listShares, parseExpiresInDays } from '@/lib/auth/shares';
import { json } from '@/lib/http/respond';
import { jsonBody, route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The clip's share links (owner only), newest first, with last use and revocation. */
export const GET = route({ clip: 'clip.share' }, async ({ clip }) => json({ shares: await listShares(clip._id.toHexString()) }));

/** A read-only link to this clip: {expiresInDays: 1..90 | null (never)}; the URL is shown once. */
export const POST = route({ clip: 'clip.share' }, async ({ request, clip }) => {
  const body = await jsonBody(request);
  const days = parseExpiresInDays(body.expiresInDays === undefined ? 7 : body.expiresInDays);
  const { share, token } = await createShare(clip._id.toHexString(), clip.ownerId ?? '', days);
  return json({ id: share._id.toHexString(), url: `${requestOrigin(request)}/s/${token}`, expiresAt: share.expiresAt?.toISOString() ?? null }, 201);
});
