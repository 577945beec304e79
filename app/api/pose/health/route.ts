import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { poseHealth } from '@/lib/pose-service/pool';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The original pose service's GET /api/pose/health (lib/pose-service/pool.ts): 200 healthy/degraded, 503 initializing/error. */
export const GET = route('user', async () => {
  const { httpStatus, body } = await poseHealth();
  return json(body, httpStatus);
});
