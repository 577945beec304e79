'use client';

import { useState, type FormEvent } from 'react';
import { requestJson } from './request';
import styles from './account.module.css';

/** DELETE /api/account {password}: removes the account and everything of it, after a typed confirmation. */
export function DeleteAccount({ email }: { email: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    if (String(form.get('confirmEmail') ?? '').trim().toLowerCase() !== email.toLowerCase())
      return setError('Type your email address exactly to confirm.');
    setBusy(true);
    setError(null);
    const res = await requestJson('/api/account', { method: 'DELETE', body: { password: String(form.get('password') ?? '') } });
    if (!res.ok) {
      setBusy(false);
      return setError(res.status === 401 || res.status === 403 ? `${res.error || 'The password is wrong.'}` : res.error);
    }
    window.location.assign('/sign-in?deleted=1');
  };

  return (
    <section className={`${styles.card} ${styles.dangerZone}`} aria-label="Delete account">
      <h2>Delete account</h2>
      <p>
        This deletes your account and <strong>everything in it, for good</strong>: every clip, its video and results, every share link
        (athletes can no longer open them) and every API key. It cannot be undone.
      </p>
      <form className={styles.form} onSubmit={submit}>
        <label className={styles.field}>
          <span>Type your email ({email}) to confirm</span>
          <input name="confirmEmail" type="email" autoComplete="off" required />
        </label>
        <label className={styles.field}>
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div>
          <button type="submit" className="danger" disabled={busy}>
            {busy ? 'Deleting…' : 'Delete my account and all my clips'}
          </button>
        </div>
      </form>
    </section>
  );
}
