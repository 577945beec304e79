'use client';

import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { copyText, formatWhen, requestJson } from './request';
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
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [fresh, setFresh] = useState<{ name: string; key: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const keyInput = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    const res = await requestJson<{ keys: ApiKey[] }>('/api/account/keys');
    if (res.ok) setKeys(res.body.keys);
    else setError(res.error);
  }, []);
  useEffect(() => void load(), [load]);

  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const name = String(new FormData(formEl).get('name') ?? '').trim();
    setBusy(true);
    setError(null);
    const res = await requestJson<{ id: string; name: string; key: string }>('/api/account/keys', { method: 'POST', body: { name } });
    setBusy(false);
    if (!res.ok) return setError(res.error);
    formEl.reset();
    setFresh({ name: res.body.name, key: res.body.key });
    setCopied(false);
    await load();
  };

  const revoke = async (key: ApiKey) => {
    if (!confirm(`Revoke the key "${key.name}"? Scripts using it stop working at once.`)) return;
    setError(null);
    const res = await requestJson(`/api/account/keys/${key.id}`, { method: 'DELETE' });
    if (!res.ok) return setError(res.error);
    await load();
  };

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
