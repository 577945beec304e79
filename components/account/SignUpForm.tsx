'use client';

import Link from 'next/link';
import { useEffect, useState, type FormEvent } from 'react';
import { requestJson } from './request';
import styles from './account.module.css';

interface Me {
  user: { id: string; email: string } | null;
  signup: 'open' | 'invite' | 'closed';
  firstAccount: boolean;
}

export const MIN_PASSWORD = 8;

/**
 * Sign-up (better-auth's POST /api/auth/sign-up/email, `?invite=TOKEN` when invited). What the server
 * allows comes from GET /api/me: the very first account (it becomes the admin), open sign-up, an invite
 * link, or closed.
 */
export function SignUpForm({ invite }: { invite: string | null }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void requestJson<Me>('/api/me').then((r) => (r.ok ? setMe(r.body) : setLoadError(r.error)));
  }, []);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const password = String(form.get('password') ?? '');
    if (password !== String(form.get('confirm') ?? '')) return setError('The two passwords differ.');
    setBusy(true);
    setError(null);
    const url = invite ? `/api/auth/sign-up/email?invite=${encodeURIComponent(invite)}` : '/api/auth/sign-up/email';
    const res = await requestJson(url, {
      method: 'POST',
      body: { name: String(form.get('name') ?? '').trim(), email: String(form.get('email') ?? '').trim(), password },
    });
    if (!res.ok) {
      setBusy(false);
      return setError(res.error);
    }
    window.location.assign('/');
  };

  const body = () => {
    if (loadError) return <p className="error" role="alert">The server could not say whether sign-up is open: {loadError}</p>;
    if (!me) return <p className="muted">Loading…</p>;
    if (me.user)
      return (
        <p>
          You are signed in as {me.user.email}. <Link href="/">Go to your clips</Link>
        </p>
      );
    if (!me.firstAccount && !invite && me.signup === 'closed')
      return (
        <p data-testid="signup-closed" role="status">
          Sign-up is closed on this server. Ask its administrator for an account.
        </p>
      );
    if (!me.firstAccount && !invite && me.signup === 'invite')
      return (
        <p data-testid="signup-needs-invite" role="status">
          This server accepts new coaches by invitation only. Ask its administrator for an invite link, then open that link.
        </p>
      );
    return (
      <form className={styles.form} onSubmit={submit} aria-label="Sign up">
        {me.firstAccount && (
          <p className={styles.notice} data-testid="first-account">
            First account on this server: you will be its <strong>admin</strong> (you can invite other coaches and see the system status).
          </p>
        )}
        {invite && !me.firstAccount && <p className="muted">You were invited to this server.</p>}
        <label className={styles.field}>
          <span>Name</span>
          <input name="name" autoComplete="name" required autoFocus />
        </label>
        <label className={styles.field}>
          <span>Email</span>
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label className={styles.field}>
          <span>Password (at least {MIN_PASSWORD} characters)</span>
          <input name="password" type="password" autoComplete="new-password" minLength={MIN_PASSWORD} required />
        </label>
        <label className={styles.field}>
          <span>Password again</span>
          <input name="confirm" type="password" autoComplete="new-password" minLength={MIN_PASSWORD} required />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
    );
  };

  return (
    <div className={`${styles.card} ${styles.authCard}`}>
      <h1>Create your coach account</h1>
      {body()}
      <p className="muted">
        Already have an account? <Link href="/sign-in">Sign in</Link>
      </p>
    </div>
  );
}
