// @deberta-js/backend-cuda/testing — checks shared by the test suites and scripts/gpu-check.mjs.
export {
  ATTENTION_CASES,
  ATTENTION_RUNS,
  checkAttention,
  relativeErrorNorm,
  roundBf16,
  type AttentionCheckCase,
  type AttentionCheckResult,
  type AttentionCheckRun,
} from "./attention-check.js";
