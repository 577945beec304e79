import { Library } from '@/components/library/Library';

export const dynamic = 'force-dynamic';

export default function HomePage() {
  return <Library />;
}
