/**
 * Content negotiation for precompressed variants (RFC 9110 §12.5.3): which of `offered` (in the
 * server's order of preference, e.g. ['br', 'gzip']) the request's Accept-Encoding takes, else
 * 'identity'. A coding with q=0 is refused, `*` stands for every coding not named, no header means
 * identity only (a client that sends none may not decode anything).
 */
export function negotiateEncoding<E extends string>(acceptEncoding: string | null, offered: readonly E[]): E | 'identity' {
  if (!acceptEncoding) return 'identity';
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(name.trim(), Number.isFinite(weight) ? weight : 0);
  }
  let best: E | 'identity' = 'identity';
  let bestQ = 0;
  for (const coding of offered) {
    const weight = q.get(coding) ?? q.get('*') ?? 0;
    if (weight > bestQ) {
      best = coding;
      bestQ = weight;
    }
  }
  // identity is always acceptable; it wins only when the client weighs it above every offered coding
  return (q.get('identity') ?? 0) > bestQ ? 'identity' : best;
}
