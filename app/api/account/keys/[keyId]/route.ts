import { revokeApiKey } from '@/lib/auth/api-keys';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const DELETE = route('user', async ({ actor, params }) => {
  const keyId = String(params.keyId ?? '');
  await revokeApiKey(actor.userId, keyId);
  return json({ id: keyId, revoked: true });
});
