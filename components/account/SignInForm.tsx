'use client';

import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { requestJson } from './request';
import styles from './account.module.css';

/** Email + password against better-auth's POST /api/auth/sign-in/email; on success a full load of `next`. */
export function SignInForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const res = await requestJson('/api/auth/sign-in/email', {
      method: 'POST',
      body: { email: String(form.get('email') ?? '').trim(), password: String(form.get('password') ?? '') },
    });
    if (!res.ok) {
      setBusy(false);
      return setError(res.status === 401 || res.status === 400 ? signInError(res.error) : res.error);
    }
    // a full load: the header and every server component must see the new session
    window.location.assign(next);
  };

  return (
    <div className={`${styles.card} ${styles.authCard}`}>
      <h1>Sign in</h1>
      <form className={styles.form} onSubmit={submit} aria-label="Sign in">
        <label className={styles.field}>
          <span>Email</span>
          <input name="email" type="email" autoComplete="username" required autoFocus />
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
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        No account yet? <Link href="/sign-up">Sign up</Link> (on most servers you need an invite link from its administrator).
      </p>
    </div>
  );
}

function signInError(serverText: string): string {
  return /invalid|incorrect|not found|password/i.test(serverText) ? 'Wrong email or password.' : serverText;
}
