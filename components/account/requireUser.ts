import { redirect } from 'next/navigation';
import { currentActor } from '@/lib/auth/server';

export type SignedInUser = Extract<Awaited<ReturnType<typeof currentActor>>, { kind: 'user' }>;

/** For server pages: the signed-in coach, or a redirect to /sign-in that comes back to `here` afterwards. */
export async function requireUser(here: string): Promise<SignedInUser> {
  const actor = await currentActor();
  if (actor.kind !== 'user') redirect(here === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(here)}`);
  return actor;
}
