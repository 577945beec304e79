import { clipEventStream, sseResponse } from '@/lib/clips/events';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Every clip's changes, for the library page. */
export function GET(request: Request) {
  return sseResponse(clipEventStream(null, request.signal));
}
