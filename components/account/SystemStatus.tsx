'use client';

import { useCallback, useEffect, useState } from 'react';
import type { Health } from '@/lib/health';
import { formatWhen } from './request';
import styles from './account.module.css';

type Detail = Partial<Health> & { ok: boolean };

function Check({ name, check }: { name: string; check?: { ok: boolean; ms?: number; error?: string } }) {
  if (!check) return null;
  return (
    <>
      <dt>{name}</dt>
      <dd className={check.ok ? styles.ok : styles.bad}>{check.ok ? `up (${check.ms ?? '?'} ms)` : `down: ${check.error ?? 'no answer'}`}</dd>
    </>
  );
}

/** The admin's view of GET /api/health (the full detail is for admins only; anonymous callers get ok/503). */
export function SystemStatus() {
  const [health, setHealth] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const res = await fetch('/api/health', { cache: 'no-store' });
      setHealth((await res.json()) as Detail);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    setAt(new Date().toISOString());
  }, []);
  useEffect(() => {
    void load();
    const timer = setInterval(load, 10_000);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <section className={styles.card} aria-label="System status" data-testid="system-status">
      <h2>System status</h2>
      {error && <p className="error">Health check failed: {error}</p>}
      {!health && !error && <p className="muted">Checking…</p>}
      {health && (
        <>
          <p className={health.ok ? styles.ok : styles.bad} data-testid="health-ok" data-ok={health.ok}>
            {health.ok ? 'All services up.' : 'Something is down: uploads and processing may fail.'}
          </p>
          <dl className={styles.statusGrid}>
            <Check name="MongoDB" check={health.mongodb} />
            <Check name="Redis" check={health.redis} />
            {health.queue && (
              <>
                <dt>Queue</dt>
                <dd>
                  {health.queue.waiting} waiting · {health.queue.active} running · {health.queue.done} done · {health.queue.failed} failed
                </dd>
              </>
            )}
          </dl>
          {health.workers && (
            <>
              <h3>Workers</h3>
              {health.workers.length === 0 ? (
                <p className={styles.bad}>No worker is running: uploaded clips will wait in the queue.</p>
              ) : (
                <table className={styles.table}>
                  <thead>
                    <tr>
                      <th>Host</th>
                      <th>PID</th>
                      <th>Runner</th>
                      <th>Body model</th>
                      <th>Busy with</th>
                      <th>Up since</th>
                      <th>Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {health.workers.map((w) => (
                      <tr key={w.id}>
                        <td>{w.host}</td>
                        <td>{w.pid}</td>
                        <td>
                          {w.runner}
                          {w.runner === 'phalp' && !w.phalpFound && <span className={styles.bad}> (PHALP not found)</span>}
                        </td>
                        <td>{w.bodyModelFound ? 'found' : <span className="muted">none</span>}</td>
                        <td>
                          {w.activeClipIds.length} / {w.concurrency}
                        </td>
                        <td>{formatWhen(w.startedAt)}</td>
                        <td>{formatWhen(w.lastSeen)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          )}
          <p className="muted">Checked {formatWhen(at)}; refreshes every 10 s.</p>
        </>
      )}
    </section>
  );
}
