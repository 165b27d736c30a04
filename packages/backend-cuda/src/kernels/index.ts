/**
 * Every kernel module: its CUDA source (prelude + body) and the parameter signature of each `extern "C"` kernel
 * in it. The signatures drive argument marshalling (`launch-params.ts`); the nvcc check and the CPU emulator
 * build both verify them against the C declarations (`signatureChecks`).
 */
import type { Activation } from "@deberta-js/core";
import { ACTIVATION_SOURCE } from "./activation.cu.js";
import { ATTENTION_SOURCE } from "./attention.cu.js";
import { CAST_SOURCE } from "./cast.cu.js";
import { CONV1D_SOURCE } from "./conv1d.cu.js";
import { ELEMENTWISE_SOURCE } from "./elementwise.cu.js";
import { GATHER_SOURCE } from "./gather.cu.js";
import { LAYERNORM_SOURCE } from "./layernorm.cu.js";
import { PRELUDE } from "./prelude.cu.js";
import { QLINEAR_SOURCE } from "./quantized-linear.cu.js";
import { SOFTMAX_SOURCE } from "./softmax.cu.js";
import { TAKE_SOURCE } from "./take-along-axis.cu.js";
import { TRANSPOSE_SOURCE } from "./transpose.cu.js";

/** Kernel parameter kinds: `p` a device pointer (8 bytes), `i` int32, `f` float32, `g` a `DjsGeom` by value. */
export type ParamKind = "p" | "i" | "f" | "g";

export interface KernelModule {
  /** Module name (one NVRTC program, compiled on first use of any of its kernels). */
  name: string;
  /** Full CUDA source, prelude included. */
  source: string;
  /** Kernel name → parameter kinds, in declaration order. */
  kernels: Record<string, readonly ParamKind[]>;
}

/** Storage suffixes of float kernels. */
export type StorageSuffix = "f32" | "f16" | "bf16";
const FLOATS: readonly StorageSuffix[] = ["f32", "f16", "bf16"];
const HALVES: readonly StorageSuffix[] = ["f16", "bf16"];
/** Padded head sizes the attention kernels are instantiated for. */
export const ATTENTION_HEAD_DIMS = [16, 32, 64, 128] as const;

function each<T extends string>(names: readonly T[], f: (n: T) => [string, readonly ParamKind[]][]): Record<string, readonly ParamKind[]> {
  return Object.fromEntries(names.flatMap(f));
}

const ATTN_PARAMS: readonly ParamKind[] = ["p", "p", "p", "p", "p", "p", "i", "i", "p", "i", "p", "p", "p", "i", "i", "i", "f"];

function module(name: string, body: string, kernels: Record<string, readonly ParamKind[]>): KernelModule {
  return { name, source: `${PRELUDE}\n${body}`, kernels };
}

export const KERNEL_MODULES: readonly KernelModule[] = [
  module("cast", CAST_SOURCE, {
    djs_cast_f32_f16: ["p", "p", "i"],
    djs_cast_f32_bf16: ["p", "p", "i"],
    djs_cast_f16_f32: ["p", "p", "i"],
    djs_cast_bf16_f32: ["p", "p", "i"],
    djs_cast_f16_bf16: ["p", "p", "i"],
    djs_cast_bf16_f16: ["p", "p", "i"],
  }),
  module(
    "elementwise",
    ELEMENTWISE_SOURCE,
    each(FLOATS, (s) => [
      [`djs_binary_${s}`, ["p", "p", "p", "i", "i", "g"]],
      [`djs_binary_flat_${s}`, ["p", "p", "p", "i", "i", "i", "i"]],
    ]),
  ),
  module("activation", ACTIVATION_SOURCE, each(FLOATS, (s) => [[`djs_act_${s}`, ["p", "p", "i", "i"]]])),
  module("gather", GATHER_SOURCE, {
    djs_gather_b4: ["p", "p", "p", "i", "i", "i"],
    djs_gather_b2: ["p", "p", "p", "i", "i", "i"],
    ...each(FLOATS, (s) => [[`djs_gather_int8_${s}`, ["p", "p", "p", "p", "i", "i", "i"]]]),
  }),
  module("take", TAKE_SOURCE, { djs_take_b4: ["p", "p", "p", "i", "g"], djs_take_b2: ["p", "p", "p", "i", "g"] }),
  module("transpose", TRANSPOSE_SOURCE, { djs_permute_b4: ["p", "p", "i", "g"], djs_permute_b2: ["p", "p", "i", "g"] }),
  module("conv1d", CONV1D_SOURCE, {
    djs_im2col_b4: ["p", "p", "p", "i", "i", "i", "i", "i"],
    djs_im2col_b2: ["p", "p", "p", "i", "i", "i", "i", "i"],
  }),
  module("layernorm", LAYERNORM_SOURCE, each(FLOATS, (s) => [[`djs_layernorm_${s}`, ["p", "p", "p", "p", "p", "i", "i", "f"]]])),
  module("softmax", SOFTMAX_SOURCE, each(FLOATS, (s) => [[`djs_softmax_${s}`, ["p", "p", "i", "p", "i", "i", "g", "f"]]])),
  module(
    "qlinear",
    QLINEAR_SOURCE,
    each(FLOATS, (s) => [
      [`djs_qlinear_int4_${s}`, ["p", "p", "p", "p", "p", "p", "i", "i", "i", "i", "i"]],
      [`djs_qlinear_int8_${s}`, ["p", "p", "p", "p", "p", "p", "i", "i", "i", "i", "i"]],
    ]),
  ),
  module("attention", ATTENTION_SOURCE, {
    ...each(FLOATS, (s) => ATTENTION_HEAD_DIMS.map((d) => [`djs_attn_scalar_${s}_d${d}`, ATTN_PARAMS] as [string, readonly ParamKind[]])),
    ...each(HALVES, (s) => ATTENTION_HEAD_DIMS.map((d) => [`djs_attn_mma_${s}_d${d}`, ATTN_PARAMS] as [string, readonly ParamKind[]])),
  }),
];

/** Kernel name → its module and signature. */
export const KERNELS: ReadonlyMap<string, { module: KernelModule; params: readonly ParamKind[] }> = new Map(
  KERNEL_MODULES.flatMap((m) => Object.entries(m.kernels).map(([k, params]) => [k, { module: m, params }] as const)),
);

/** Activation → code understood by `djs_act` (prelude). */
export const ACT_CODES: Record<Activation, number> = {
  linear: 0,
  gelu: 1,
  gelu_new: 2,
  gelu_pytorch_tanh: 2,
  gelu_fast: 3,
  quick_gelu: 4,
  relu: 5,
  tanh: 6,
  sigmoid: 7,
  silu: 8,
  swish: 8,
};

/**
 * C++ that fails to compile when a kernel's declaration disagrees with its signature here (parameter count, and
 * pointer / int / float / DjsGeom per position). Appended to a module's source by the nvcc check and the emulator.
 */
export function signatureChecks(m: KernelModule): string {
  const lines = [
    "#include <type_traits>",
    "template <typename F> struct djs_sig;",
    "template <typename... A> struct djs_sig<void (*)(A...)> { static constexpr int count = sizeof...(A); template <int I> using arg = typename std::tuple_element<I, std::tuple<A...>>::type; };",
    "template <typename T, char K> constexpr bool djs_kind_ok() { return K == 'p' ? std::is_pointer<T>::value : K == 'i' ? std::is_same<T, int>::value : K == 'f' ? std::is_same<T, float>::value : std::is_same<T, DjsGeom>::value; }",
  ];
  for (const [name, params] of Object.entries(m.kernels)) {
    lines.push(`static_assert(djs_sig<decltype(&${name})>::count == ${params.length}, "${name}: parameter count differs from src/kernels/index.ts");`);
    params.forEach((k, i) => {
      lines.push(`static_assert(djs_kind_ok<djs_sig<decltype(&${name})>::arg<${i}>, '${k}'>(), "${name}: parameter ${i} is not of kind '${k}' (src/kernels/index.ts)");`);
    });
  }
  return `\n#include <tuple>\n${lines.join("\n")}\n`;
}
