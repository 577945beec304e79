'use client';

import { useState } from 'react';
import styles from './account.module.css';

/** better-auth's POST /api/auth/sign-out, then the sign-in page (a full load: no page keeps the old session). */
export function SignOutButton() {
  const [busy, setBusy] = useState(false);
  return (
    <button
      className={styles.linkButton}
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        await fetch('/api/auth/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => null);
        window.location.assign('/sign-in');
      }}
    >
      Sign out
    </button>
  );
}
