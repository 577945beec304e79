'use client';

import { useEffect, useState } from 'react';
import type { BodyForward } from '@/lib/viewer/bodies';

export interface BodyModelState {
  status: 'idle' | 'loading' | 'ready' | 'missing' | 'error';
  forward: BodyForward | null;
  faces: Uint32Array | null;
  reason: string | null;
}

/** TEMPORARY until lib/smpl's browser forward pass lands: no mesh, skeletons only. */
export function useBodyModel(wanted: boolean): BodyModelState {
  const [state] = useState<BodyModelState>({ status: wanted ? 'missing' : 'idle', forward: null, faces: null, reason: 'mesh support pending' });
  useEffect(() => {}, [wanted]);
  return state;
}
