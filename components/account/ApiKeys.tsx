'use client';

import { useRef, useState, type FormEvent } from 'react';
import { copyText, formatWhen } from './request';
import { useManagedList } from './useManagedList';
import styles from './account.module.css';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** API keys for scripts (GET/POST/DELETE /api/account/keys): the key itself is shown once, at creation. */
export function ApiKeys() {
  const { items: keys, error, busy, create: post, revoke: remove } = useManagedList<ApiKey>('/api/account/keys', 'keys');
  const [fresh, setFresh] = useState<{ name: string; key: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const keyInput = useRef<HTMLInputElement>(null);

  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const name = String(new FormData(formEl).get('name') ?? '').trim();
    const made = await post<{ id: string; name: string; key: string }>({ name });
    if (!made) return;
    formEl.reset();
    setFresh({ name: made.name, key: made.key });
    setCopied(false);
  };

  const revoke = (key: ApiKey) => remove(key.id, `Revoke the key "${key.name}"? Scripts using it stop working at once.`);

  return (
    <section className={styles.card} aria-label="API keys">
      <h2>API keys</h2>
      <p className="muted">
        For scripts that upload clips or fetch results without a browser: send <code>Authorization: Bearer &lt;key&gt;</code>. A key has
        your rights on your clips; revoke it when a script no longer needs it.
      </p>
      <form className={styles.row} onSubmit={create}>
        <input name="name" placeholder="What the key is for, e.g. “camera upload script”" maxLength={80} required aria-label="Key name" />
        <button type="submit" className="primary" disabled={busy}>
          Create key
        </button>
      </form>
      {fresh && (
        <div className={styles.secret} data-testid="new-api-key">
          <span>
            Key “{fresh.name}”: copy it now — it is <strong>not shown again</strong>.
          </span>
          <div className={styles.row}>
            <input ref={keyInput} readOnly value={fresh.key} onFocus={(e) => e.target.select()} aria-label="New API key" />
            <button onClick={async () => setCopied(await copyText(fresh.key, keyInput.current))}>{copied ? 'Copied' : 'Copy'}</button>
            <button onClick={() => setFresh(null)}>Done</button>
          </div>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {keys && keys.length === 0 && <p className="muted">No keys.</p>}
      {keys && keys.length > 0 && (
        <table className={styles.table} data-testid="api-key-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Key</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td className={styles.mono}>{k.prefix}…</td>
                <td>{formatWhen(k.createdAt)}</td>
                <td>{formatWhen(k.lastUsedAt, 'never')}</td>
                <td>
                  <button className="danger" onClick={() => revoke(k)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
