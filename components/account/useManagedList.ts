'use client';

import { useCallback, useEffect, useState } from 'react';
import { requestJson } from './request';

/**
 * A list the signed-in user manages through one JSON collection endpoint (API keys, invites, share
 * links): GET `url` answers `{[listKey]: T[]}`, POST `url` creates one, DELETE `url/:id` revokes one.
 * The list reloads after every change; the server's own error message is kept for display. A 403/404
 * on loading sets `forbidden` (the caller may hide the whole panel).
 */
export function useManagedList<T>(url: string, listKey: string) {
  const [items, setItems] = useState<T[] | null>(null);
  const [forbidden, setForbidden] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const res = await requestJson<Record<string, T[]>>(url);
    if (res.ok) setItems(res.body[listKey] ?? []);
    else if (res.status === 403 || res.status === 404) setForbidden(true);
    else setError(res.error);
  }, [url, listKey]);
  useEffect(() => void load(), [load]);

  /** POSTs `body`; the created item's answer, or null (the error is shown) */
  const create = useCallback(
    async <R>(body: unknown): Promise<R | null> => {
      setBusy(true);
      setError(null);
      const res = await requestJson<R>(url, { method: 'POST', body });
      setBusy(false);
      if (!res.ok) {
        setError(res.error);
        return null;
      }
      await load();
      return res.body;
    },
    [url, load],
  );

  /** asks `question`, then DELETEs `url/id`; true when revoked */
  const revoke = useCallback(
    async (id: string, question: string): Promise<boolean> => {
      if (!confirm(question)) return false;
      setError(null);
      const res = await requestJson(`${url}/${id}`, { method: 'DELETE' });
      if (!res.ok) {
        setError(res.error);
        return false;
      }
      await load();
      return true;
    },
    [url, load],
  );

  return { items, forbidden, error, busy, create, revoke };
}
