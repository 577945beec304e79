import { ConfigError } from '../config';
import { log } from '../log';
import { HttpError } from '../upload';

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

export function errorJson(status: number, message: string): Response {
  return json({ error: message }, status);
}

/** Runs a route's work and turns known errors into clear JSON answers (never a stack trace). */
export async function handle(route: string, fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpError) {
      const extra = (err as HttpError & { headers?: Record<string, string> }).headers;
      return extra ? json({ error: err.message }, err.status, extra) : errorJson(err.status, err.message);
    }
    if (err instanceof ConfigError) return errorJson(500, err.message);
    const name = (err as Error)?.name ?? '';
    if (/Mongo|Redis|ECONNREFUSED|Connection/i.test(`${name} ${(err as Error)?.message}`)) {
      log.error('http.unavailable', { route, error: err });
      return errorJson(503, 'A backing service (MongoDB or Redis) is not reachable right now; try again in a moment.');
    }
    log.error('http.error', { route, error: err });
    return errorJson(500, 'Something went wrong on the server; the error is in the server log.');
  }
}
