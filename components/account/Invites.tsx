'use client';

import { useRef, useState, type FormEvent } from 'react';
import { copyText, formatWhen } from './request';
import { useManagedList } from './useManagedList';
import styles from './account.module.css';

interface Invite {
  id: string;
  createdAt: string;
  expiresAt: string | null;
  usedAt: string | null;
  email?: string | null;
  url?: string;
}

function inviteState(i: Invite): { text: string; open: boolean } {
  if (i.usedAt) return { text: `used ${formatWhen(i.usedAt)}`, open: false };
  if (i.expiresAt && new Date(i.expiresAt).getTime() <= Date.now()) return { text: `expired ${formatWhen(i.expiresAt)}`, open: false };
  return { text: i.expiresAt ? `open until ${formatWhen(i.expiresAt)}` : 'open', open: true };
}

/** Single-use invite links for new coaches (admin: GET/POST/DELETE /api/admin/invites). */
export function Invites() {
  const { items: invites, error, busy, create: post, revoke: remove } = useManagedList<Invite>('/api/admin/invites', 'invites');
  const [fresh, setFresh] = useState<{ id: string; url: string; expiresAt: string | null } | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const urlInput = useRef<HTMLInputElement>(null);

  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const email = String(new FormData(formEl).get('email') ?? '').trim();
    const made = await post<{ id: string; url: string; expiresAt: string | null }>(email ? { email } : {});
    if (!made) return;
    formEl.reset();
    setFresh(made);
    setCopied(null);
  };

  const revoke = async (id: string) => {
    if ((await remove(id, 'Revoke this invite? The link stops working.')) && fresh?.id === id) setFresh(null);
  };

  const copy = async (id: string, url: string, input?: HTMLInputElement | null) => setCopied((await copyText(url, input)) ? id : null);

  return (
    <section className={styles.card} aria-label="Invites">
      <h2>Invite a coach</h2>
      <p className="muted">An invite link works once: the coach who opens it creates an account. Send it privately.</p>
      <form className={styles.row} onSubmit={create}>
        <input name="email" type="email" placeholder="Coach's email (optional, for your own record)" aria-label="Email of the invited coach" />
        <button type="submit" className="primary" disabled={busy} data-testid="invite-create">
          Create invite link
        </button>
      </form>
      {fresh && (
        <div className={styles.secret}>
          <span>New invite link{fresh.expiresAt ? ` (valid until ${formatWhen(fresh.expiresAt)})` : ''}:</span>
          <div className={styles.row}>
            <input ref={urlInput} readOnly value={fresh.url} onFocus={(e) => e.target.select()} data-testid="invite-url" aria-label="Invite link" />
            <button onClick={() => copy(fresh.id, fresh.url, urlInput.current)}>{copied === fresh.id ? 'Copied' : 'Copy'}</button>
          </div>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {invites && invites.length === 0 && <p className="muted">No invites yet.</p>}
      {invites && invites.length > 0 && (
        <table className={styles.table} data-testid="invite-list">
          <thead>
            <tr>
              <th>For</th>
              <th>Created</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {invites.map((i) => {
              const state = inviteState(i);
              return (
                <tr key={i.id}>
                  <td>{i.email || <span className="muted">anyone with the link</span>}</td>
                  <td>{formatWhen(i.createdAt)}</td>
                  <td className={state.open ? undefined : 'muted'}>{state.text}</td>
                  <td>
                    <span className={styles.rowEnd}>
                      {state.open && i.url && <button onClick={() => copy(i.id, i.url!)}>{copied === i.id ? 'Copied' : 'Copy'}</button>}
                      {state.open && (
                        <button className="danger" onClick={() => revoke(i.id)}>
                          Revoke
                        </button>
                      )}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
