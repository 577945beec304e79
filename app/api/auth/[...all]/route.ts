import { authEndpoint } from '@/lib/auth/auth-endpoint';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * better-auth (lib/auth/better-auth.ts): sign-up/email (?invite=TOKEN), sign-in/email, sign-out,
 * change-password, get-session, ... Public by nature; better-auth checks the Origin of cookie requests
 * itself, and lib/auth/auth-endpoint.ts adds the sign-in and sign-up rate limits.
 */
export const GET = route('public', ({ request }) => authEndpoint(request));
export const POST = route('public', ({ request }) => authEndpoint(request));
