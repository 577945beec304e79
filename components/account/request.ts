'use client';

/** What a JSON API call answered: the parsed body, or the server's own error message. */
export type Answer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: string };

/** fetch() for the account/admin/share JSON endpoints: JSON in, JSON out, `{error}` bodies turned into a message. */
export async function requestJson<T>(url: string, init: { method?: string; body?: unknown } = {}): Promise<Answer<T>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
    });
  } catch {
    return { ok: false, status: 0, error: 'The server could not be reached. Check your connection and try again.' };
  }
  const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (res.ok) return { ok: true, status: res.status, body: body as T };
  return { ok: false, status: res.status, error: errorText(res, body) };
}

function errorText(res: Response, body: Record<string, unknown> | null): string {
  // better-auth answers {message, code}; our routes answer {error}
  const text = (typeof body?.error === 'string' && body.error) || (typeof body?.message === 'string' && body.message) || '';
  if (res.status === 429) {
    const wait = Number(res.headers.get('retry-after'));
    return `${text || 'Too many attempts.'}${Number.isFinite(wait) && wait > 0 ? ` Try again in ${formatWait(wait)}.` : ''}`;
  }
  return text || `The server answered ${res.status} ${res.statusText}`.trim();
}

function formatWait(seconds: number): string {
  return seconds < 90 ? `${Math.ceil(seconds)} s` : `${Math.ceil(seconds / 60)} min`;
}

/** A date for tables: "30 Nov 2026, 09:41", or the fallback for null. */
export function formatWhen(iso: string | null | undefined, fallback = '–'): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return fallback;
  return d.toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Copies text; falls back to selecting it in `input` where the Clipboard API is unavailable (plain http). */
export async function copyText(text: string, input?: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input?.select();
    return false;
  }
}
