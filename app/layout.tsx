import type { Metadata } from 'next';
import Link from 'next/link';
import { SignOutButton } from '@/components/account/SignOutButton';
import { currentActor } from '@/lib/auth/server';
import './globals.css';

export const metadata: Metadata = {
  title: 'Motion Coach',
  description: 'Upload a clip, get the athlete’s 3D motion frame by frame.',
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const actor = await currentActor();
  const user = actor.kind === 'user' ? actor : null;
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          {user ? (
            <Link href="/" className="brand">
              <span className="brand-mark">◆</span> Motion Coach
            </Link>
          ) : (
            <span className="brand">
              <span className="brand-mark">◆</span> Motion Coach
            </span>
          )}
          {/* signed-out visitors and share-link viewers get no navigation: nothing here is theirs */}
          {user && (
            <nav aria-label="Account">
              <Link href="/">Library</Link>
              {user.role === 'admin' && <Link href="/admin">Admin</Link>}
              <Link href="/account">Account</Link>
              <span className="muted" data-testid="signed-in-as">
                {user.email}
              </span>
              <SignOutButton />
            </nav>
          )}
        </header>
        <main className="page">{children}</main>
      </body>
    </html>
  );
}
