import { handle, json } from '@/lib/http/respond';
import { queueStatus } from '@/lib/queue';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET() {
  return handle('GET /api/queue', async () => json(await queueStatus()));
}
