import { createApiKey, listApiKeys, parseKeyName } from '@/lib/auth/api-keys';
import { json } from '@/lib/http/respond';
import { jsonBody, route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = route('user', async ({ actor }) => json({ keys: await listApiKeys(actor.userId) }));

/** A new key, shown this once (only its hash is kept). */
export const POST = route('user', async ({ request, actor }) => {
  const { name } = await jsonBody(request);
  return json(await createApiKey(actor.userId, parseKeyName(name)), 201);
});
