import { route } from '@/lib/http/route';
import { webMetrics } from '@/lib/metrics/web';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Prometheus metrics of this web app (public rule: guarded by METRICS_TOKEN as a bearer token when set). */
export const GET = route('public', ({ request }) => webMetrics(request));
