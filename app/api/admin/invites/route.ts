import { createInvite, listInvites } from '@/lib/auth/invites';
import { requestOrigin } from '@/lib/auth/origin';
import { json } from '@/lib/http/respond';
import { jsonBody, route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route('admin', async () => json({ invites: await listInvites() }));

/** A single-use invite link (7 days), optionally noting whom it is for. */
export const POST = route('admin', async ({ request, actor }) => {
  const { email } = await jsonBody(request);
  const { invite, token } = await createInvite(actor.userId, email);
  return json({ id: invite._id.toHexString(), url: `${requestOrigin(request)}/sign-up?invite=${token}`, expiresAt: invite.expiresAt.toISOString() }, 201);
});
