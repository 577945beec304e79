import type { Metadata } from 'next';
import { ShareTokenProvider } from '@/components/apiUrl';
import { ClipView } from '@/components/clip/ClipView';
import { ShareRefused } from '@/components/share/ShareRefused';
import { actorForShareToken } from '@/lib/auth/identity';

export const dynamic = 'force-dynamic';
// a share link is a secret: keep it out of search engines and other sites' logs
export const metadata: Metadata = { title: 'Shared clip · Motion Coach', robots: { index: false, follow: false }, referrer: 'no-referrer' };

/**
 * The share-link viewer: the player of ONE clip for whoever holds the link (an athlete, a parent), with
 * no account. The link's limits are checked where the identity is established (lib/auth/identity.ts);
 * a refused link gets a page that says why, never the clip.
 */
export default async function SharePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const { actor, reason } = await actorForShareToken(token);
  if (actor.kind !== 'share') return <ShareRefused reason={reason ?? 'unknown'} />;
  return (
    <ShareTokenProvider token={token}>
      <ClipView clipId={actor.clipId} />
    </ShareTokenProvider>
  );
}
