'use client';

import { useRef, useState } from 'react';
import { copyText, formatWhen } from '../account/request';
import { useManagedList } from '../account/useManagedList';
import styles from '../account/account.module.css';

interface ShareLink {
  id: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  url?: string;
}

const EXPIRY = [
  { label: '1 day', days: 1 },
  { label: '7 days', days: 7 },
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: 'never', days: null },
] as const;

function linkState(s: ShareLink): { text: string; live: boolean } {
  if (s.revokedAt) return { text: `revoked ${formatWhen(s.revokedAt)}`, live: false };
  if (s.expiresAt && new Date(s.expiresAt).getTime() <= Date.now()) return { text: `expired ${formatWhen(s.expiresAt)}`, live: false };
  return { text: s.expiresAt ? `until ${formatWhen(s.expiresAt)}` : 'never expires', live: true };
}

/**
 * The owner's share links for one clip (GET/POST/DELETE /api/clips/:id/shares): a read-only link to this
 * clip's player for an athlete or a parent, with an expiry, listed with its last use, revocable.
 * Hidden when the caller may not share this clip (the API answers 403/404).
 */
export function SharePanel({ clipId }: { clipId: string }) {
  const { items: shares, forbidden: hidden, error, busy, create: post, revoke: remove } = useManagedList<ShareLink>(`/api/clips/${clipId}/shares`, 'shares');
  const [days, setDays] = useState<string>('7');
  const [created, setCreated] = useState<{ id: string; url: string } | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const urlInput = useRef<HTMLInputElement>(null);

  const create = async () => {
    const made = await post<{ id: string; url: string; expiresAt: string | null }>({ expiresInDays: days === 'never' ? null : Number(days) });
    if (!made) return;
    setCreated({ id: made.id, url: made.url });
    setCopied(null);
  };

  const revoke = async (id: string) => {
    if ((await remove(id, 'Revoke this link? Whoever has it will no longer see the clip.')) && created?.id === id) setCreated(null);
  };

  const copy = async (id: string, url: string, input?: HTMLInputElement | null) => {
    setCopied((await copyText(url, input)) ? id : null);
  };

  if (hidden) return null;
  return (
    <section className={`${styles.card} ${styles.sharePanel}`} aria-label="Share" data-testid="share-panel">
      <h2>Share with an athlete</h2>
      <p className="muted">
        Whoever has a link sees this clip&apos;s player and downloads — not your other clips, not your account. Revoke a link
        at any time.
      </p>
      <div className={styles.row}>
        <label htmlFor="share-expiry" className="muted">
          Link expires after
        </label>
        <select id="share-expiry" value={days} onChange={(e) => setDays(e.target.value)} data-testid="share-expiry">
          {EXPIRY.map((e) => (
            <option key={e.label} value={e.days === null ? 'never' : String(e.days)}>
              {e.label}
            </option>
          ))}
        </select>
        <button className="primary" onClick={create} disabled={busy} data-testid="share-create">
          Create link
        </button>
      </div>
      {created && (
        <div className={styles.secret}>
          <span>New link — copy it now and send it to the athlete:</span>
          <div className={styles.row}>
            <input ref={urlInput} readOnly value={created.url} data-testid="share-url" onFocus={(e) => e.target.select()} aria-label="Share link" />
            <button onClick={() => copy(created.id, created.url, urlInput.current)}>{copied === created.id ? 'Copied' : 'Copy'}</button>
          </div>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {shares && shares.length > 0 && (
        <table className={styles.table} data-testid="share-list">
          <thead>
            <tr>
              <th>Created</th>
              <th>Valid</th>
              <th>Last opened</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shares.map((s) => {
              const state = linkState(s);
              return (
                <tr key={s.id} data-share-id={s.id} data-live={state.live}>
                  <td>{formatWhen(s.createdAt)}</td>
                  <td className={state.live ? undefined : 'muted'}>{state.text}</td>
                  <td>{formatWhen(s.lastUsedAt, 'never')}</td>
                  <td>
                    <span className={styles.rowEnd}>
                      {state.live && s.url && <button onClick={() => copy(s.id, s.url!)}>{copied === s.id ? 'Copied' : 'Copy'}</button>}
                      {state.live && (
                        <button className="danger" onClick={() => revoke(s.id)}>
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
      {shares && shares.length === 0 && !created && <p className="muted">No links yet.</p>}
    </section>
  );
}
