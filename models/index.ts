/**
 * The public entry of models/: CRATE encoder/decoder, closed-loop training, rate-reduction losses,
 * nearest-subspace classifier and metrics, structured memory. Named exports only; import from here
 * outside models/ (STYLE.md rule 4).
 */

// CRATE model
export { PRESETS, PRESET_DESCRIPTIONS, numPatches, patchDim, resolveConfig, validateConfig } from './crate/config';
export type { CrateConfig } from './crate/config';
export {
  countParams,
  countSpecs,
  crateClassifierParamCount,
  decoderSpecs,
  disposeParams,
  encoderSpecs,
  initDecoderParams,
  initEncoderParams,
} from './crate/params';
export type { ParamMap } from './crate/params';
export { encode, encodeDiagnostics, encodeTokens } from './crate/encoder';
export type { LayerTap } from './crate/encoder';
export { decode } from './crate/decoder';
export { patchify, unpatchify } from './crate/patches';

// ops
export { dense, denseT, getMatMulMode, matMul, matMulT, setMatMulMode } from './ops/matmul';
export type { MatMulMode } from './ops/matmul';
export { registerWasmPolyfills } from './ops/wasmKernels';

// training
export { DEFAULT_LOOP_CONFIG, resolveLoopConfig } from './training/config';
export type { LoopConfig } from './training/config';
export { LoopState, closedLoopStep, evaluateClosedLoop, mcr2Step } from './training/closedLoop';
export type { OptimizerStateTensor, ReplayMemory, StepPhases, StepStats } from './training/closedLoop';

// losses
export { DEFAULT_EPS2, closedLoopObjective, codingRate, pairedRateReduction, rateReduction } from './losses/rateReduction';
export type { ClosedLoopTerms } from './losses/rateReduction';
export { halfLogdet, halfLogdetBatch, setLogdetMode } from './losses/halfLogdet';
export type { LogdetMode } from './losses/halfLogdet';

// subspaces and metrics
export { fitNearestSubspace, predictNearestSubspace } from './subspace/nearestSubspace';
export type { SubspaceModel } from './subspace/nearestSubspace';
export { blockStats, classCodingRates, classRank, principalAngles } from './subspace/metrics';
export type { BlockStats, ClassSpectra, SubspaceAngles } from './subspace/metrics';

// structured memory
export { memoryBytes, sampleStructuredMemory } from './memory/structuredMemory';
export type { StructuredMemoryOptions } from './memory/structuredMemory';
