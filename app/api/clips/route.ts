import { acceptUpload } from '@/lib/clips/service';
import { listClips } from '@/lib/clips/repo';
import { clipScope } from '@/lib/auth/policy';
import { json } from '@/lib/http/respond';
import { serveDirectly } from '@/lib/http/direct-routes';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = route('user', async ({ request, actor }) => {
  const clip = await acceptUpload(actor, request);
  return json({ ...clip, id: clip.id, status: clip.status }, 201);
}, { rateLimit: 'uploads' });

/** The caller's clips; an admin may add `?all=1` for every account's clips. */
export const GET = route('user', async ({ request, actor }) => {
  const all = new URL(request.url).searchParams.get('all') === '1';
  return json({ clips: await listClips(clipScope(actor, { all })) });
});

// the upload's body reaches the handler without Next.js's request adapter, which copies every chunk
serveDirectly('/api/clips', { POST });
