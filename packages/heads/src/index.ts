// @deberta-js/heads — task heads, Auto classes, pipelines. Browser-safe: Node-only code (local folders, the HF cache)
// is reached through dynamic imports only.
// The CPU backend registers itself here, so `pipeline()` and `fromPretrained` work with no backend import; other
// backends are found when installed (see core's `getBackend`).
import "@deberta-js/backend-cpu";
export { DebertaV2PreTrainedModel, HeadWeights, buildHead, loadHead, configFromJSON } from "./base.js";
export type { BackboneOutputs, BuildContext, HeadClass, HeadLoadOptions, HeadStateDictOptions } from "./base.js";
export { ContextPooler } from "./pooler.js";
export { DebertaV2ForMaskedLM, gatherRows } from "./masked-lm.js";
export type { MaskedLMOutput } from "./masked-lm.js";
export { DebertaV2ForSequenceClassification, poolAndClassify } from "./sequence-classification.js";
export type { SequenceClassifierOutput } from "./sequence-classification.js";
export { DebertaV2ForTokenClassification } from "./token-classification.js";
export type { TokenClassifierOutput } from "./token-classification.js";
export { DebertaV2ForQuestionAnswering } from "./question-answering.js";
export type { QuestionAnsweringOutput } from "./question-answering.js";
export { DebertaV2ForMultipleChoice, flattenChoices } from "./multiple-choice.js";
export type { MultipleChoiceOutput, MultipleChoiceInputs, ChoiceIdsInput } from "./multiple-choice.js";
// HF's TensorFlow class names: the same classes, loading tf_model.h5 by default.
export {
  TFDebertaV2Model,
  TFDebertaV2ForMaskedLM,
  TFDebertaV2ForSequenceClassification,
  TFDebertaV2ForTokenClassification,
  TFDebertaV2ForQuestionAnswering,
  TFDebertaV2ForMultipleChoice,
} from "./tf.js";
export type { TFAlias } from "./tf.js";
export {
  AutoConfig,
  AutoModel,
  AutoModelForArchitecture,
  AutoModelForMaskedLM,
  AutoModelForMultipleChoice,
  AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification,
  AutoModelForTokenClassification,
  HEAD_CLASSES,
  MODEL_CLASS_NAMES,
  classFromArchitectures,
  forwardAny,
  loadModelClass,
  modelClassName,
  resolveClassName,
} from "./auto.js";
export type { AnyModel, AutoLoadOptions, HeadClassName, HeadModel, ModelClassName } from "./auto.js";
export { HEAD_OPTIONS, normalizeDtype, resolveFiles, resolveFilesWith, setModelResolver } from "./load.js";
// Hub downloads and the HF cache (`resolveModelFiles`, see src/hub/README.md).
export * from "./hub/index.js";
export { AutoTokenizer } from "./tokenizer.js";
export type { TokenizerLoadOptions } from "./tokenizer.js";
export { DebertaV2TokenizerFast } from "@deberta-js/tokenizer";

// Pipelines.
export { pipeline, TASKS } from "./pipelines/pipeline.js";
export type { Task, PipelineFor, PipelineOptions } from "./pipelines/pipeline.js";
export { BATCHING_OPTIONS, Pipeline, callable, isStreamInput } from "./pipelines/base.js";
export type { BatchingOptions, StreamInput } from "./pipelines/base.js";
export { FillMaskPipeline } from "./pipelines/fill-mask.js";
export type { FillMaskOptions, FillMaskOutput, FillMaskResult } from "./pipelines/fill-mask.js";
export { TRUNCATION_OPTIONS, truncationArgs } from "./pipelines/truncation.js";
export type { TruncationOptions } from "./pipelines/truncation.js";
export { TextClassificationPipeline } from "./pipelines/text-classification.js";
export type { TextClassificationOptions, TextClassificationInput, TextPair } from "./pipelines/text-classification.js";
export { ZeroShotClassificationPipeline } from "./pipelines/zero-shot-classification.js";
export type { ZeroShotOptions } from "./pipelines/zero-shot-classification.js";
export { TokenClassificationPipeline } from "./pipelines/token-classification.js";
export type { TokenClassificationOptions, TokenClassificationResult } from "./pipelines/token-classification.js";
export { QuestionAnsweringPipeline } from "./pipelines/question-answering.js";
export type { QuestionAnsweringOptions, QuestionAnsweringInput } from "./pipelines/question-answering.js";
export { MultipleChoicePipeline } from "./pipelines/multiple-choice.js";
export type { MultipleChoiceOptions, MultipleChoiceInput, MultipleChoiceResult } from "./pipelines/multiple-choice.js";
export { asPipelineTokenizer, loadPipelineTokenizer, metaspaceTokensToString } from "./pipelines/tokenizer-adapter.js";
export type { FastTokenizerLike, TokenizerSource } from "./pipelines/tokenizer-adapter.js";
export type { PipelineTokenizer, TokenizedRow, EncodeOptions, TruncationOption } from "./pipelines/tokenizer.js";
// Post-processing, exported for reuse and testing (HF's algorithms on plain arrays).
export { runBatched, padRows, planBatches } from "./pipelines/batching.js";
export type { Row, BatchOptions } from "./pipelines/batching.js";
export { softmax, sigmoid, argmax, topK } from "./pipelines/math.js";
export {
  applyFunction,
  classificationResult,
  defaultFunctionToApply,
  entailmentId,
  fillMaskTopK,
  formatTemplate,
  parseCandidateLabels,
  zeroShotResult,
} from "./pipelines/classification-post.js";
export type { FunctionToApply, LabelScore, MaskPrediction, ZeroShotResult } from "./pipelines/classification-post.js";
export {
  AGGREGATION_STRATEGIES,
  aggregate,
  aggregateOverlappingEntities,
  aggregateWords,
  gatherPreEntities,
  groupEntities,
  postprocessTokenClassification,
} from "./pipelines/token-classification-post.js";
export type { AggregationStrategy, EntityGroup, PreEntity, TokenEntity, TokenInfo } from "./pipelines/token-classification-post.js";
export { decodeSpans, postprocessQuestionAnswering, selectStartsEnds } from "./pipelines/question-answering-post.js";
export type { QaAnswer, QaChunk, QaToken, Span } from "./pipelines/question-answering-post.js";
export type { DTypeName, PretrainedOptions, ProgressEvent } from "./load.js";

// Useful core names, so most users need only this package.
export {
  DebertaV2Model,
  DebertaV2Config,
  DebertaError,
  InputError,
  ConfigError,
  WeightsError,
  BackendUnavailableError,
  Tensor,
  OrtTensor,
  createBackend,
  registerBackend,
  registeredBackends,
  memoryFiles,
  env,
  getBackend,
  disposeBackends,
  UnknownOptionError,
  DTYPES,
  LOAD_OPTIONS,
} from "@deberta-js/core";
export type { Backend, ModelFiles, ModelInputs, ForwardOptions, FloatDType, LoadOptions, DebertaEnv, NestedNumbers } from "@deberta-js/core";
