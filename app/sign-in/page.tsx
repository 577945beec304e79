import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { safeNext } from '@/components/account/safeNext';
import { SignInForm } from '@/components/account/SignInForm';
import { currentActor } from '@/lib/auth/server';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Sign in · Motion Coach' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNext(params.next);
  if ((await currentActor()).kind === 'user') redirect(next);
  return (
    <>
      {params.deleted && (
        <p className="muted" role="status">
          Your account and all its clips were deleted.
        </p>
      )}
      <SignInForm next={next} />
    </>
  );
}
