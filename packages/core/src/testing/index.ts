// @deberta-js/core/testing — the backend conformance kit and its float64 reference ops.
export {
  runConformance,
  buildRelIndex,
  CONFORMANCE_OPS,
  PRIMITIVE_OPS,
  FUSED_OPS,
  DEFAULT_TOLERANCE,
  type ConformanceOptions,
  type ConformanceReport,
  type ConformanceResult,
  type Tolerance,
  type AttentionCaseSpec,
} from "./conformance.js";
export * from "./reference-ops.js";
export { Rng, randomUniform, randomNormal, randomInts, randomMask } from "./random.js";
export { HostBackend, type HostBackendOptions } from "./host-backend.js";
// The HF fixture parity kit (lead-owned).
export {
  baseModelRunner,
  loadFixtureCases,
  caseFiles,
  compareOutputs,
  relativeError,
  runFixtureCase,
  defineParitySuite,
  FP32_TOLERANCE,
  type FixtureCase,
  type FixtureOutput,
  type ActualOutput,
  type CaseRunner,
  type Comparison,
  type Tolerance as ParityTolerance,
} from "./parity.js";
export { withInjectedFailure, type InjectedFailure } from "./inject.js";
// TF `tf_model.h5` files for tests (HF's TF variable names and layouts, malformed variants).
export { writeKerasH5, kerasLayersFromStateDict, kerasModelName, type KerasLayer, type KerasWeight, type WriteKerasH5Options } from "./keras-h5.js";
// The seeded parser fuzzer (issue 13): targets live with the parsers' tests.
export {
  runFuzz,
  mutateBytes,
  rng32,
  formatFuzzReport,
  type FuzzTarget,
  type FuzzOptions,
  type FuzzReport,
  type FuzzFinding,
  type FuzzRng,
} from "./fuzz.js";
