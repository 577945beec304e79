import type { Metadata } from 'next';
import Link from 'next/link';
import './globals.css';

export const metadata: Metadata = {
  title: 'Motion Coach',
  description: 'Upload a clip, get the athlete’s 3D motion frame by frame.',
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand">
            <span className="brand-mark">◆</span> Motion Coach
          </Link>
          <nav>
            <Link href="/">Library</Link>
            <a href="/api/health" target="_blank" rel="noreferrer">
              System status
            </a>
          </nav>
        </header>
        <main className="page">{children}</main>
      </body>
    </html>
  );
}
