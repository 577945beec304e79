import { deleteAccount } from '@/lib/auth/account';
import { clientAddress } from '@/lib/auth/origin';
import { json } from '@/lib/http/respond';
import { jsonBody, route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Deletes the caller's account and everything of it; JSON {password} confirms. */
export const DELETE = route('user', async ({ request, actor }) => {
  const { password } = await jsonBody(request);
  await deleteAccount(actor, password, clientAddress(request));
  return json({ deleted: true });
});
