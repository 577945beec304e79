import { NextResponse, type NextRequest } from 'next/server';

/**
 * Content-Security-Policy for every page, with a fresh nonce per request: Next.js reads the nonce from
 * the request's CSP header and puts it on its own scripts and inline styles, so neither scripts nor
 * <style> elements need 'unsafe-inline'. What the player needs beyond 'self':
 * - 'wasm-unsafe-eval': lib/smpl compiles a WebAssembly SIMD kernel (no JavaScript eval is allowed);
 * - blob:/data: images and media (three.js textures, canvas snapshots), blob: workers;
 * - style attributes ('unsafe-inline' for style-src-attr only): React, r3f's canvas wrapper and the
 *   timeline set element styles; <style> elements still need the nonce.
 * API responses (excluded here: a proxy would buffer upload bodies) get `default-src 'none'` from
 * next.config.mjs, which also sets the headers every response carries.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.randomUUID()).toString('base64');
  const csp = contentSecurityPolicy(nonce, {
    dev: process.env.NODE_ENV === 'development',
    https: request.nextUrl.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https',
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('Content-Security-Policy', csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', csp);
  return response;
}

export function contentSecurityPolicy(nonce: string, { dev, https }: { dev: boolean; https: boolean }): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    // 'strict-dynamic': scripts loaded by the nonced Next.js runtime (page chunks) are trusted, nothing else
    'script-src': ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", "'wasm-unsafe-eval'", ...(dev ? ["'unsafe-eval'"] : [])],
    'style-src': ["'self'", `'nonce-${nonce}'`],
    'style-src-attr': ["'unsafe-inline'"],
    'img-src': ["'self'", 'blob:', 'data:'],
    'media-src': ["'self'", 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'", ...(dev ? ['ws:'] : [])],
    'worker-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    ...(https ? { 'upgrade-insecure-requests': [] } : {}),
  };
  return Object.entries(directives)
    .map(([name, values]) => [name, ...values].join(' '))
    .join('; ');
}

export const config = {
  matcher: [
    {
      // pages only: not the API (see above; /pose/* is the original pose service's API), not built static files
      source: '/((?!api/|pose/|_next/static|_next/image|favicon.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
