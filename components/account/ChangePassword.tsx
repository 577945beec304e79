'use client';

import { useState, type FormEvent } from 'react';
import { requestJson } from './request';
import { MIN_PASSWORD } from './SignUpForm';
import styles from './account.module.css';

/** better-auth's POST /api/auth/change-password; signs out every other device. */
export function ChangePassword() {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const newPassword = String(form.get('newPassword') ?? '');
    if (newPassword !== String(form.get('confirm') ?? '')) return setMessage({ ok: false, text: 'The two new passwords differ.' });
    setBusy(true);
    const res = await requestJson('/api/auth/change-password', {
      method: 'POST',
      body: { currentPassword: String(form.get('currentPassword') ?? ''), newPassword, revokeOtherSessions: true },
    });
    setBusy(false);
    if (!res.ok) return setMessage({ ok: false, text: res.status === 400 || res.status === 401 ? passwordError(res.error) : res.error });
    formEl.reset();
    setMessage({ ok: true, text: 'Password changed. Other devices were signed out.' });
  };

  return (
    <section className={styles.card} aria-label="Change password">
      <h2>Password</h2>
      <form className={styles.form} onSubmit={submit}>
        <label className={styles.field}>
          <span>Current password</span>
          <input name="currentPassword" type="password" autoComplete="current-password" required />
        </label>
        <label className={styles.field}>
          <span>New password (at least {MIN_PASSWORD} characters)</span>
          <input name="newPassword" type="password" autoComplete="new-password" minLength={MIN_PASSWORD} required />
        </label>
        <label className={styles.field}>
          <span>New password again</span>
          <input name="confirm" type="password" autoComplete="new-password" minLength={MIN_PASSWORD} required />
        </label>
        {message && (
          <p className={message.ok ? styles.ok : 'error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
        <div>
          <button type="submit" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}

function passwordError(text: string): string {
  return /invalid password|incorrect/i.test(text) ? 'The current password is wrong.' : text;
}
