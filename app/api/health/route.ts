import { isAdmin } from '@/lib/auth/policy';
import { health } from '@/lib/health';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * For load balancers and anyone: only `{ok}` (200) or `{ok:false}` (503). Admins get the detail
 * (MongoDB, Redis, workers with host names and pids, queue) for the System status page.
 */
export const GET = route('public', async ({ actor }) => {
  const h = await health();
  return json(isAdmin(actor) ? h : { ok: h.ok }, h.ok ? 200 : 503);
});
