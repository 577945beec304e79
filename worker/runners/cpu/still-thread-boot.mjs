// Worker threads start without the parent's TypeScript loader (vitest, tsx): register tsx here, then
// load the TypeScript entry (the still-image analyser thread, single-frame.ts).
import { register } from 'tsx/esm/api';

register();
await import('./still-thread.ts');
