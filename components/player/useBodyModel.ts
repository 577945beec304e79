'use client';

import { useEffect, useState } from 'react';
import { SmplEvaluator, unpackSmplModel } from '@/lib/smpl';
import type { BodyForward } from '@/lib/viewer/bodies';
import { useApiUrl } from '../apiUrl';

export interface BodyModelState {
  status: 'idle' | 'loading' | 'ready' | 'missing' | 'error';
  forward: BodyForward | null;
  faces: Uint32Array | null;
  reason: string | null;
}

type Loaded = Omit<BodyModelState, 'status'> & { status: 'ready' | 'missing' | 'error' };

// Fetched once per page session (per URL: a share viewer's carries the link token); across sessions the
// browser's HTTP cache revalidates it by ETag.
const requests = new Map<string, Promise<Loaded>>();

async function fetchBodyModel(url: string): Promise<Loaded> {
  const res = await fetch(url);
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    return { status: res.status === 404 ? 'missing' : 'error', forward: null, faces: null, reason: body?.reason ?? `HTTP ${res.status}` };
  }
  const model = unpackSmplModel(new Uint8Array(await res.arrayBuffer()));
  const exact = new SmplEvaluator(model);
  // Playback: without pose corrective blend shapes, ~5x cheaper (lib/smpl/forward.ts); paused frames use `exact`.
  const fast = new SmplEvaluator(model, { poseBlendShapes: false });
  return {
    status: 'ready',
    faces: model.faces,
    reason: null,
    forward: { vertexCount: model.numVertices, faces: model.faces, compute: (smpl, out, isExact) => (isExact ? exact : fast).forward(smpl, out) },
  };
}

/** The SMPL body model for meshes, when the clip has SMPL parameters and the server has a model. */
export function useBodyModel(wanted: boolean): BodyModelState {
  const [state, setState] = useState<BodyModelState>({ status: wanted ? 'loading' : 'idle', forward: null, faces: null, reason: null });
  const url = useApiUrl()('/api/body-model');
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    let request = requests.get(url);
    if (!request) {
      request = fetchBodyModel(url).catch((err: unknown) => {
        requests.delete(url); // let a later mount try again
        return { status: 'error' as const, forward: null, faces: null, reason: err instanceof Error ? err.message : String(err) };
      });
      requests.set(url, request);
    }
    void request.then((s) => live && setState(s));
    return () => {
      live = false;
    };
  }, [wanted, url]);
  return state;
}
