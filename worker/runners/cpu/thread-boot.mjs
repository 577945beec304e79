// Worker threads start without the parent's TypeScript loader (vitest, tsx): register tsx here, then
// load the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
