import type { Metadata } from 'next';
import { ApiKeys } from '@/components/account/ApiKeys';
import { ChangePassword } from '@/components/account/ChangePassword';
import { DeleteAccount } from '@/components/account/DeleteAccount';
import { requireUser } from '@/components/account/requireUser';
import styles from '@/components/account/account.module.css';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Account · Motion Coach' };

export default async function AccountPage() {
  const user = await requireUser('/account');
  return (
    <div className={styles.narrow}>
      <div>
        <h1>Account</h1>
        <p className="muted">
          {user.name ? `${user.name} · ` : ''}
          {user.email} · {user.role === 'admin' ? 'administrator' : 'coach'}
        </p>
      </div>
      <ChangePassword />
      <ApiKeys />
      <DeleteAccount email={user.email} />
    </div>
  );
}
