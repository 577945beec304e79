import { describe, expect, it } from 'vitest';
import { apiUrl } from '@/components/apiUrl';
import { safeNext } from '@/components/account/safeNext';
import type { NextConfig } from 'next';
import { contentSecurityPolicy } from '@/proxy';

// a plain .mjs without types: imported through a non-literal path, typed here
const configPath: string = '@/next.config.mjs';
const nextConfig = ((await import(configPath)) as { default: NextConfig }).default;

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe('Content-Security-Policy of the pages (proxy.ts)', () => {
  const prod = directives(contentSecurityPolicy('abc123', { dev: false, https: false }));

  it('allows scripts only by nonce (no unsafe-inline, no eval; WebAssembly compile only)', () => {
    const script = prod.get('script-src')!;
    expect(script).toContain("'nonce-abc123'");
    expect(script).toContain("'strict-dynamic'");
    expect(script).toContain("'wasm-unsafe-eval'");
    expect(script).not.toContain("'unsafe-inline'");
    expect(script).not.toContain("'unsafe-eval'");
    expect(prod.get('style-src')).not.toContain("'unsafe-inline'");
  });

  it('forbids framing, plugins and base-URL changes; connects only to itself', () => {
    expect(prod.get('frame-ancestors')).toEqual(["'none'"]);
    expect(prod.get('object-src')).toEqual(["'none'"]);
    expect(prod.get('base-uri')).toEqual(["'none'"]);
    expect(prod.get('connect-src')).toEqual(["'self'"]);
    expect(prod.get('default-src')).toEqual(["'self'"]);
  });

  it("adds eval only in development and upgrade-insecure-requests only behind https", () => {
    expect(directives(contentSecurityPolicy('n', { dev: true, https: false })).get('script-src')).toContain("'unsafe-eval'");
    expect(prod.has('upgrade-insecure-requests')).toBe(false);
    expect(directives(contentSecurityPolicy('n', { dev: false, https: true })).has('upgrade-insecure-requests')).toBe(true);
  });
});

describe('headers on every response (next.config.mjs)', () => {
  it('sends nosniff, a same-origin referrer policy, DENY framing, and no X-Powered-By; API answers are sandboxed', async () => {
    expect(nextConfig.poweredByHeader).toBe(false);
    const rules = await nextConfig.headers!();
    const all = rules.find((r) => r.source === '/:path*')!;
    const byName = Object.fromEntries(all.headers.map((h) => [h.key.toLowerCase(), h.value]));
    expect(byName['x-content-type-options']).toBe('nosniff');
    // never no-referrer: same-origin POSTs would then carry `Origin: null` and fail the CSRF check
    expect(byName['referrer-policy']).toBe('same-origin');
    expect(byName['x-frame-options']).toBe('DENY');
    const api = rules.find((r) => r.source === '/api/:path*')!;
    expect(api.headers.find((h) => h.key === 'Content-Security-Policy')!.value).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
  });
});

describe('share token on API URLs (components/apiUrl.ts)', () => {
  it('appends ?share= or &share=, encoded, and leaves URLs alone outside share mode', () => {
    expect(apiUrl('/api/clips/1/video', null)).toBe('/api/clips/1/video');
    expect(apiUrl('/api/clips/1/video', 'a b/c')).toBe('/api/clips/1/video?share=a%20b%2Fc');
    expect(apiUrl('/api/clips/1/frames?from=0&to=9', 'tok')).toBe('/api/clips/1/frames?from=0&to=9&share=tok');
  });
});

describe('where sign-in returns to (safeNext)', () => {
  it('accepts local paths only', () => {
    expect(safeNext('/clips/abc')).toBe('/clips/abc');
    expect(safeNext(['/account', '/x'])).toBe('/account');
    for (const bad of [undefined, '', 'https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)']) expect(safeNext(bad)).toBe('/');
  });
});
