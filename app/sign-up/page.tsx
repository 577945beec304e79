import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SignUpForm } from '@/components/account/SignUpForm';
import { currentActor } from '@/lib/auth/server';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Sign up · Motion Coach' };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { invite } = await searchParams;
  if ((await currentActor()).kind === 'user') redirect('/');
  return <SignUpForm invite={(Array.isArray(invite) ? invite[0] : invite) || null} />;
}
