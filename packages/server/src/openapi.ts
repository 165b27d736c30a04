/**
 * `GET /openapi.json`: the server's OpenAPI 3.0 document. The TEI routes carry TEI's schema names and fields
 * (`PredictRequest`, `Prediction`, `RerankRequest`, `Rank`, `TokenizeRequest`, `SimpleToken`, `DecodeRequest`,
 * `Info`, `ErrorResponse`); `POST /` is described per task.
 */
import { VERSION } from "./version.js";

const str = { type: "string" };
const bool = (dflt: boolean) => ({ type: "boolean", default: dflt });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({ description, ...json(ref("ErrorResponse")) });

const ERRORS = {
  "413": error("Batch size or input length error (error_type Validation)"),
  "422": error("Invalid request or tokenization error (error_type Validation / Tokenizer)"),
  "424": error("Inference failed or wrong model type (error_type Backend)"),
  "429": error("Model is overloaded (error_type Overloaded)"),
  "503": error("Shutting down (error_type Unhealthy)"),
  "504": error("Request timed out (error_type Backend)"),
};

const schemas = {
  ErrorResponse: {
    type: "object",
    required: ["error", "error_type"],
    properties: { error: str, error_type: ref("ErrorType") },
  },
  ErrorType: { type: "string", enum: ["Unhealthy", "Backend", "Overloaded", "Validation", "Tokenizer", "Empty"] },
  TruncationDirection: { type: "string", enum: ["Left", "Right"], description: "Only Right is supported" },
  PredictInput: {
    oneOf: [
      { type: "string", description: "A single string" },
      { type: "array", items: str, minItems: 2, maxItems: 2, description: "A pair of strings" },
      { type: "array", items: { type: "array", items: str, minItems: 1, maxItems: 2 }, description: "A batch" },
    ],
  },
  PredictRequest: {
    type: "object",
    required: ["inputs"],
    properties: { inputs: ref("PredictInput"), truncate: bool(false), raw_scores: bool(false), truncation_direction: ref("TruncationDirection") },
  },
  Prediction: { type: "object", required: ["score", "label"], properties: { score: { type: "number" }, label: str } },
  PredictResponse: {
    oneOf: [
      { type: "array", items: ref("Prediction") },
      { type: "array", items: { type: "array", items: ref("Prediction") } },
    ],
  },
  RerankRequest: {
    type: "object",
    required: ["query", "texts"],
    properties: { query: str, texts: { type: "array", items: str }, truncate: bool(false), raw_scores: bool(false), return_text: bool(false), truncation_direction: ref("TruncationDirection") },
  },
  Rank: { type: "object", required: ["index", "score"], properties: { index: { type: "integer", minimum: 0 }, score: { type: "number" }, text: { type: "string", nullable: true } } },
  RerankResponse: { type: "array", items: ref("Rank") },
  TokenizeRequest: {
    type: "object",
    required: ["inputs"],
    properties: { inputs: { oneOf: [str, { type: "array", items: str }] }, add_special_tokens: bool(true) },
  },
  SimpleToken: {
    type: "object",
    required: ["id", "text", "special"],
    properties: {
      id: { type: "integer", minimum: 0 },
      text: str,
      special: { type: "boolean" },
      start: { type: "integer", nullable: true, description: "UTF-8 byte offset" },
      stop: { type: "integer", nullable: true },
    },
  },
  TokenizeResponse: { type: "array", items: { type: "array", items: ref("SimpleToken") } },
  DecodeRequest: {
    type: "object",
    required: ["ids"],
    properties: {
      ids: { oneOf: [{ type: "array", items: { type: "integer" } }, { type: "array", items: { type: "array", items: { type: "integer" } } }] },
      skip_special_tokens: bool(true),
    },
  },
  DecodeResponse: { type: "array", items: str },
  ClassifierModel: {
    type: "object",
    required: ["id2label", "label2id"],
    properties: { id2label: { type: "object", additionalProperties: str }, label2id: { type: "object", additionalProperties: { type: "integer" } } },
  },
  Info: {
    type: "object",
    required: ["model_id", "model_dtype", "served_model_name", "model_type", "max_concurrent_requests", "max_input_length", "max_batch_tokens", "max_client_batch_size", "auto_truncate", "tokenization_workers", "version"],
    properties: {
      model_id: str,
      model_sha: { type: "string", nullable: true },
      model_dtype: str,
      served_model_name: str,
      model_type: { oneOf: [{ type: "object", properties: { classifier: ref("ClassifierModel") } }, { type: "object", properties: { reranker: ref("ClassifierModel") } }] },
      pipeline_tag: { type: "string", description: "deberta-js: the pipeline task the server runs" },
      max_concurrent_requests: { type: "integer" },
      max_input_length: { type: "integer" },
      max_batch_tokens: { type: "integer" },
      max_batch_requests: { type: "integer", nullable: true },
      max_client_batch_size: { type: "integer" },
      auto_truncate: { type: "boolean" },
      tokenization_workers: { type: "integer" },
      version: str,
      sha: { type: "string", nullable: true },
      docker_label: { type: "string", nullable: true },
    },
  },
  InferenceRequest: {
    type: "object",
    required: ["inputs"],
    properties: {
      inputs: { description: "The pipeline's input: a text, a list of texts, {text, text_pair}, {question, context}, {prompt, choices}" },
      parameters: { type: "object", description: "The task's call options (HF names), e.g. top_k, candidate_labels, aggregation_strategy" },
    },
  },
};

const post = (summary: string, request: string, response: unknown) => ({
  post: { summary, requestBody: { required: true, ...json(ref(request)) }, responses: { "200": { description: "OK", ...json(response) }, ...ERRORS } },
});

export function openapi(task: string): Record<string, unknown> {
  return {
    openapi: "3.0.3",
    info: { title: "deberta-js serve", version: VERSION, description: `Text Embeddings Inference-compatible routes and an HF Inference-style POST / for the ${task} pipeline.` },
    paths: {
      "/predict": post("Classify a text, a pair, or a batch (TEI)", "PredictRequest", ref("PredictResponse")),
      "/rerank": post("Rank texts against a query with a one-label classifier (TEI)", "RerankRequest", ref("RerankResponse")),
      "/tokenize": post("Tokenize (TEI)", "TokenizeRequest", ref("TokenizeResponse")),
      "/decode": post("Decode ids (TEI)", "DecodeRequest", ref("DecodeResponse")),
      "/": post(`Run the ${task} pipeline (HF Inference API style)`, "InferenceRequest", { description: "The pipeline's result (HF's shape for the task)" }),
      "/info": { get: { summary: "Model and router info (TEI)", responses: { "200": { description: "OK", ...json(ref("Info")) } } } },
      "/health": { get: { summary: "Health (TEI)", responses: { "200": { description: "Ready" }, "503": error("Shutting down") } } },
      "/metrics": { get: { summary: "Prometheus metrics (te_*)", responses: { "200": { description: "OK", content: { "text/plain": { schema: str } } } } } },
      "/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OK" } } } },
    },
    components: { schemas },
  };
}
