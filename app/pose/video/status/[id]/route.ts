import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { jobStatus } from '@/lib/pose-service/jobs';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The original pose service's GET /pose/video/status/<job_id> (job_id = clip id; lib/pose-service/jobs.ts). */
export const GET = route({ clip: 'clip.read' }, async ({ clip }) => json(await jobStatus(clip)));
