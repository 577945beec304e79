'use client';

import { createContext, createElement, useCallback, useContext, type ReactNode } from 'react';

/**
 * Share mode: a viewer who opened /s/TOKEN has no account; every API URL of the player must carry the
 * link's token as `?share=TOKEN` (a header cannot ride on <video src> or EventSource). Components never
 * build that query themselves: they call `useApiUrl()` (or `apiUrl()` outside React).
 */
const ShareTokenContext = createContext<string | null>(null);

export function ShareTokenProvider({ token, children }: { token: string; children: ReactNode }) {
  return createElement(ShareTokenContext.Provider, { value: token }, children);
}

/** The share token of this page, or null on a signed-in coach's page. */
export function useShareToken(): string | null {
  return useContext(ShareTokenContext);
}

/** `path` (an /api/... URL, with or without a query) with the share token appended when there is one. */
export function apiUrl(path: string, shareToken: string | null): string {
  if (!shareToken) return path;
  return `${path}${path.includes('?') ? '&' : '?'}share=${encodeURIComponent(shareToken)}`;
}

/** `url => url with this page's share token`, stable for the page's lifetime. */
export function useApiUrl(): (path: string) => string {
  const token = useShareToken();
  return useCallback((path: string) => apiUrl(path, token), [token]);
}
