import { accountSummary } from '@/lib/auth/account';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Who am I (null when not signed in), the sign-up mode, and whether no account exists yet. */
export const GET = route('public', async ({ actor }) => json(await accountSummary(actor)));
