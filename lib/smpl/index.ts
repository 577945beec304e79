/**
 * The SMPL body model, browser-safe parts: model type, forward pass, compact transport.
 * The file loader (Node only) is lib/smpl/load.ts: import it directly where Node is available.
 */
export * from './model';
export { SmplEvaluator, type SmplEvaluatorOptions, type SmplPoseParams, type SmplShape } from './forward';
export { packSmplModel, unpackSmplModel } from './pack';
export { buildSmplModel, type SmplSource } from './build';
