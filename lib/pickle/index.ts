/**
 * lib/pickle: safe reading of Python pickles and joblib files (PHALP results, SMPL body models).
 * Reading executes nothing; only allow-listed globals are materialised (./allowlist.ts).
 * Node entry (decompression uses node:zlib); browser code can import './unpickle' and './types'.
 */
export * from './types';
export { loadPickle } from './unpickle';
export { readJoblibFile, readJoblibBytes, unwrapContainer, detectContainer, type Container } from './container';
export { toFloat64, dtypeInfo } from './numpy';
