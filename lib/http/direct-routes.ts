import type { IncomingMessage, ServerResponse } from 'node:http';
import { directRouteMetrics } from '../metrics/app';
import type { RouteHandler } from './route';
import { DATA_RESPONSE, EVERY_RESPONSE } from './security-headers.mjs';

/*
 * Routes the web server calls without Next.js's router: the reads a player makes many times a second
 * (the poses payload, video Range reads) and the upload. Next.js's own per-request work (routing, request
 * and response objects, async contexts) cost about 3 times what the handler does for a poses request:
 * for a 312-frame, 3-athlete clip that held 50 players to about 300 requests/s on 2 cores
 * (bench/load.bench.ts). An upload's body went through Next.js's request adapter, which copies every chunk.
 *
 * How: a route module calls `serveDirectly(template, { GET, POST })` when Next.js loads it; the first
 * request of a route therefore goes through Next.js as usual. The web server (scripts/web-server.mjs)
 * asks `dispatchDirect(req, res)` first for every request; it answers a request of a registered route and
 * method by calling the same route handler (the same `route()` rule, access and CSRF checks, metrics and
 * memory as through Next.js), adding the headers next.config.mjs adds, and leaves everything else to
 * Next.js. The registry lives on globalThis so that the server, which does not load the app's modules,
 * finds the handlers of the copy Next.js loaded.
 */
/** The methods a route may hand to the direct lane (HEAD goes to GET, which answers it without a body). */
export interface DirectHandlers {
  GET?: RouteHandler;
  POST?: RouteHandler;
}

interface DirectRoute {
  template: string;
  pattern: RegExp;
  names: string[];
  handlers: DirectHandlers;
}

export type DirectDispatch = (req: IncomingMessage, res: ServerResponse) => boolean;

interface Registry {
  routes: Map<string, DirectRoute>;
  dispatch: DirectDispatch;
}

const REGISTRY = Symbol.for('motion-coach.direct-routes');
const HEADERS: [string, string][] = [...EVERY_RESPONSE, ...DATA_RESPONSE].map(({ key, value }) => [key.toLowerCase(), value]);

function registry(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  return (g[REGISTRY] ??= { routes: new Map(), dispatch: dispatchDirect });
}

const direct = new WeakSet<Request>();

/**
 * Whether the direct lane made `request` (the web server answers it itself). A handler may then send what
 * Next.js would spoil: Next.js removes Content-Encoding (and Content-Length) from route handler responses
 * but sends the bytes as they are, so only here may a handler send compressed bytes.
 */
export function servedDirectly(request: Request): boolean {
  return direct.has(request);
}

/** Lets the web server call these handlers of an /api route directly. */
export function serveDirectly(template: string, handlers: DirectHandlers): void {
  if (!template.startsWith('/api/')) throw new Error(`only /api routes can be served directly (${template})`);
  const names: string[] = [];
  const source = template
    .split('/')
    .map((part) => {
      const m = /^\[(\w+)\]$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return '([^/]+)';
    })
    .join('/');
  registry().routes.set(template, { template, pattern: new RegExp(`^${source}$`), names, handlers });
}

/** The route a request path names, with its parameters; null when none is registered. */
export function matchDirect(pathname: string): { route: DirectRoute; params: Record<string, string> } | null {
  for (const route of registry().routes.values()) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    try {
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
    } catch {
      return null; // a malformed escape: Next.js answers it
    }
    return { route, params };
  }
  return null;
}

/**
 * Answers `req` when it is a request of a registered route and method and returns true; false leaves it
 * to Next.js. The request goes to the route handler as a web Request (headers as sent, the body as it comes).
 */
export function dispatchDirect(req: IncomingMessage, res: ServerResponse): boolean {
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (method !== 'GET' && method !== 'POST') return false;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const found = matchDirect(q < 0 ? url : url.slice(0, q));
  const handler = found?.route.handlers[method];
  if (!found || !handler) return false;
  void answer(found.route.template, handler, found.params, req, res);
  return true;
}

async function answer(template: string, handler: RouteHandler, params: Record<string, string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const aborted = new AbortController();
  res.once('close', () => !res.writableFinished && aborted.abort());
  try {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
      method: req.method,
      headers,
      signal: aborted.signal,
      ...(hasBody ? { body: requestBody(req), duplex: 'half' } : {}),
    } as RequestInit);
    direct.add(request);
    const response = await handler(request, { params: Promise.resolve(params) });
    directRouteMetrics.answered(template);
    // a body the handler did not read to its end (a refused upload) is read and dropped once the answer is out
    if (hasBody) res.once('finish', () => discardRest(req));
    if (aborted.signal.aborted) {
      await response.body?.cancel().catch(() => {});
      return;
    }
    res.statusCode = response.status;
    for (const [key, value] of HEADERS) res.setHeader(key, value);
    response.headers.forEach((value, key) => res.setHeader(key, value));
    const body = response.body;
    if (!body || req.method === 'HEAD') {
      await body?.cancel().catch(() => {});
      res.end();
      return;
    }
    const reader = body.getReader();
    aborted.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // backpressure: wait for the socket to drain before reading more (a video blob is read range by range)
      if (!res.write(value)) await drained(res);
      if (aborted.signal.aborted) return;
    }
    res.end();
  } catch (err) {
    // route() answers every error it knows with a clear status; this is a failure while sending
    if (res.headersSent || aborted.signal.aborted) res.destroy(err as Error);
    else {
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: 'The server failed while answering; please try again.' }));
    }
  }
}

/**
 * The request's body as a web stream of the chunks Node.js read, handed on as they are: Node's own
 * `Readable.toWeb` (and Next.js's adapter) copy every chunk, which for a large upload is a second pass
 * over every byte. Backpressure: the request is paused while the stream's queue is full. A client that
 * goes away before the end errors the stream (the upload code refuses the upload and keeps nothing).
 */
export function requestBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const end = (err?: Error) => {
          if (!open) return;
          open = false;
          if (err) controller.error(err);
          else controller.close();
        };
        req.on('data', (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 1) <= 0) req.pause();
        });
        req.once('end', () => end());
        req.once('error', (err) => end(err));
        req.once('close', () => {
          if (!req.complete) end(new Error('the client closed the connection before the end of the request'));
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        // the reader gave up (an upload refused early): the rest is read and dropped
        open = false;
        discardRest(req);
      },
    },
    { highWaterMark: 16, size: () => 1 },
  );
}

function discardRest(req: IncomingMessage): void {
  if (req.complete) return;
  req.removeAllListeners('data');
  req.on('data', () => {});
  req.resume();
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
