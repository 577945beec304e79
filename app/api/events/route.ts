import { clipEventStream, sseResponse } from '@/lib/clips/events';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The caller's library changes (only their own clips; `?all=1` for an admin: every clip). */
export const GET = route('user', ({ request, actor }) => {
  const all = new URL(request.url).searchParams.get('all') === '1';
  return sseResponse(clipEventStream(actor, null, request.signal, { all }));
});
