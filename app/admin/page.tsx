import type { Metadata } from 'next';
import { Invites } from '@/components/account/Invites';
import { requireUser } from '@/components/account/requireUser';
import { SystemStatus } from '@/components/account/SystemStatus';
import styles from '@/components/account/account.module.css';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Admin · Motion Coach' };

export default async function AdminPage() {
  const user = await requireUser('/admin');
  if (user.role !== 'admin')
    return (
      <div className={styles.gone}>
        <h1>Administrators only</h1>
        <p className="muted">This page is for the person who runs this server.</p>
      </div>
    );
  return (
    <div className={styles.narrow}>
      <h1>Admin</h1>
      <Invites />
      <SystemStatus />
    </div>
  );
}
