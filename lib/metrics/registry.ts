import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One prom-client registry per process (kept on globalThis: Next.js may load a module twice), with
 * Node's default process metrics. Metric names start with `motion_coach_`.
 */
const KEY = Symbol.for('motion-coach.metrics');
type Holder = { registry: Registry; metrics: Map<string, unknown> };

function holder(): Holder {
  const g = globalThis as unknown as Record<symbol, Holder | undefined>;
  if (!g[KEY]) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'motion_coach_' });
    g[KEY] = { registry, metrics: new Map() };
  }
  return g[KEY]!;
}

export function metricsRegistry(): Registry {
  return holder().registry;
}

function once<T>(name: string, make: (registers: Registry[]) => T): T {
  const h = holder();
  if (!h.metrics.has(name)) h.metrics.set(name, make([h.registry]));
  return h.metrics.get(name) as T;
}

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return once(name, (registers) => new Counter({ name, help, labelNames, registers }));
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: Gauge<L>) => Promise<void> | void): Gauge<L> {
  return once(name, (registers) => new Gauge({ name, help, labelNames, registers, ...(collect ? { collect } : {}) }));
}

export function histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
  return once(name, (registers) => new Histogram({ name, help, labelNames, buckets, registers }));
}

/** The Prometheus text of this process, or 401 when METRICS_TOKEN is set and the caller does not send it. */
export async function metricsResponse(authorization: string | null, token: string | null): Promise<{ status: number; contentType: string; body: string; headers?: Record<string, string> }> {
  if (token && authorization !== `Bearer ${token}`) {
    return { status: 401, contentType: 'application/json', body: JSON.stringify({ error: 'Send Authorization: Bearer <METRICS_TOKEN>.' }), headers: { 'www-authenticate': 'Bearer' } };
  }
  const registry = metricsRegistry();
  return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
}
