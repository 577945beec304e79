import { requireUser } from '@/components/account/requireUser';
import { ClipView } from '@/components/clip/ClipView';

export const dynamic = 'force-dynamic';

export default async function ClipPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireUser(`/clips/${encodeURIComponent(id)}`);
  return <ClipView clipId={id} />;
}
