/**
 * Activations (HF `ACT2FN`) applied in place over a range of a Float32Array, one specialised loop per activation.
 * "gelu" is the exact erf GELU, with W. J. Cody's rational approximations of erf (double precision).
 */
import type { Activation } from "@deberta-js/core";
import { InputError } from "@deberta-js/core";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const SQRT1_2 = Math.SQRT1_2;

/** erf(x) to double precision (Cody, Math. Comp. 23, 1969). */
export function erf(x: number): number {
  const y = x < 0 ? -x : x;
  if (y <= 0.46875) {
    const z = y > 1.11e-16 ? y * y : 0;
    const num = (((0.18577770618460315 * z + 3.1611237438705656) * z + 113.86415415105016) * z + 377.485237685302) * z + 3209.3775891384694;
    const den = (((z + 23.601290952344122) * z + 244.02463793444417) * z + 1282.6165260773723) * z + 2844.236833439171;
    return (x * num) / den;
  }
  let r: number;
  if (y <= 4) {
    let num = 2.1531153547440383e-8 * y;
    let den = y;
    num = (num + 0.5641884969886701) * y;
    den = (den + 15.744926110709835) * y;
    num = (num + 8.883149794388377) * y;
    den = (den + 117.6939508913125) * y;
    num = (num + 66.11919063714163) * y;
    den = (den + 537.18110186200986) * y;
    num = (num + 298.63513819740013) * y;
    den = (den + 1621.3895745666903) * y;
    num = (num + 881.95222124176909) * y;
    den = (den + 3290.7992357334597) * y;
    num = (num + 1712.0476126340707) * y;
    den = (den + 4362.6190901432471) * y;
    num = (num + 2051.0783778260716) * y;
    den = (den + 3439.3676741437216) * y;
    r = (num + 1230.3393547979972) / (den + 1230.3393548037495);
  } else {
    if (y >= 6) return x > 0 ? 1 : -1; // erfc(6) < 2.2e-17
    const z = 1 / (y * y);
    const num = ((((0.016315387137302097 * z + 0.30532663496123236) * z + 0.36034489994980445) * z + 0.12578172611122926) * z + 0.016083785148742275) * z + 6.5874916152983678e-4;
    const den = ((((z + 2.5685201922898682) * z + 1.8729528499234604) * z + 0.52790510295142837) * z + 0.060518341312441319) * z + 0.0023352049762686918;
    r = (0.56418958354775628695 - (z * num) / den) / y;
  }
  const ys = Math.trunc(y * 16) / 16;
  const erfc = Math.exp(-ys * ys) * Math.exp(-(y - ys) * (y + ys)) * r;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** Applies `act` in place to x[start … end). */
export function applyActivation(x: Float32Array, start: number, end: number, act: Activation): void {
  switch (act) {
    case "linear":
      return;
    case "gelu":
      for (let i = start; i < end; i++) {
        const v = x[i];
        x[i] = 0.5 * v * (1 + erf(v * SQRT1_2));
      }
      return;
    case "gelu_new":
    case "gelu_pytorch_tanh":
      for (let i = start; i < end; i++) {
        const v = x[i];
        x[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
      }
      return;
    case "gelu_fast":
      for (let i = start; i < end; i++) {
        const v = x[i];
        x[i] = 0.5 * v * (1 + Math.tanh(0.7978845608 * v * (1 + 0.044715 * v * v)));
      }
      return;
    case "quick_gelu":
      for (let i = start; i < end; i++) {
        const v = x[i];
        x[i] = v * sigmoid(1.702 * v);
      }
      return;
    case "relu":
      for (let i = start; i < end; i++) if (!(x[i] > 0)) x[i] = x[i] !== x[i] ? x[i] : 0;
      return;
    case "tanh":
      for (let i = start; i < end; i++) x[i] = Math.tanh(x[i]);
      return;
    case "sigmoid":
      for (let i = start; i < end; i++) x[i] = sigmoid(x[i]);
      return;
    case "silu":
    case "swish":
      for (let i = start; i < end; i++) {
        const v = x[i];
        x[i] = v * sigmoid(v);
      }
      return;
    default:
      throw new InputError(`activation: unknown activation "${act as string}"`);
  }
}

function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
