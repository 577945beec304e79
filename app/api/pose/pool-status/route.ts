import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { isAdmin } from '@/lib/auth/policy';
import { poolStatus } from '@/lib/pose-service/pool';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The original pose service's GET /api/pose/pool-status (lib/pose-service/pool.ts): totals only, no names. */
export const GET = route('user', async ({ actor }) => json(await poolStatus({ withWorkerNames: isAdmin(actor) })));
