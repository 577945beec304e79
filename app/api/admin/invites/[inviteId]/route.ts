import { deleteInvite } from '@/lib/auth/invites';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const DELETE = route('admin', async ({ params }) => {
  const id = String(params.inviteId ?? '');
  await deleteInvite(id);
  return json({ id, deleted: true });
});
