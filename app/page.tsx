import { requireUser } from '@/components/account/requireUser';
import { Library } from '@/components/library/Library';

export const dynamic = 'force-dynamic';

export default async function HomePage() {
  await requireUser('/');
  return <Library />;
}
