/**
 * The attention heat map: an `L × L` matrix of probabilities (row = query token, column = key token) drawn on a
 * canvas, token labels on both axes when there is room, and the value under the pointer reported through `onHover`.
 */

export interface HeatmapHandle {
  clear(): void;
}

/** White → deep blue, through a light blue (a sequential palette that stays readable for colour-blind users). */
const STOPS: [number, [number, number, number]][] = [
  [0, [255, 255, 255]],
  [0.25, [198, 219, 239]],
  [0.5, [107, 174, 214]],
  [0.75, [33, 113, 181]],
  [1, [8, 48, 107]],
];

function colour(v: number): string {
  const x = Math.max(0, Math.min(1, v));
  for (let i = 1; i < STOPS.length; i++) {
    const [p1, c1] = STOPS[i];
    if (x <= p1) {
      const [p0, c0] = STOPS[i - 1];
      const t = (x - p0) / (p1 - p0);
      const c = c0.map((a, k) => Math.round(a + (c1[k] - a) * t));
      return `rgb(${c[0]},${c[1]},${c[2]})`;
    }
  }
  return "rgb(8,48,107)";
}

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function renderHeatmap(
  canvas: HTMLCanvasElement,
  data: Float32Array,
  length: number,
  tokens: string[],
  onHover: (text: string) => void,
): HeatmapHandle {
  const L = length;
  const cell = Math.max(3, Math.min(28, Math.floor(560 / Math.max(1, L))));
  const showLabels = cell >= 10;
  const margin = showLabels ? 90 : 8;
  const size = margin + L * cell + 2;
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  canvas.width = Math.ceil(size * dpr);
  canvas.height = Math.ceil(size * dpr);
  // Drawn at its natural size, but never wider than its container: on a narrow screen (a phone) the browser scales
  // it down (max-width 100%, height keeping the square), and the pointer position is scaled back below.
  canvas.style.width = `${size}px`;
  canvas.style.maxWidth = "100%";
  canvas.style.height = "auto";
  const ctx = canvas.getContext("2d");
  if (!ctx) return { clear() {} };
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size, size);

  // Scale colours to the largest probability so a diffuse head still shows its structure; the caption says so.
  let max = 0;
  for (let i = 0; i < L * L; i++) max = Math.max(max, data[i]);
  const norm = max > 0 ? 1 / max : 1;
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++) {
      ctx.fillStyle = colour(data[i * L + j] * norm);
      ctx.fillRect(margin + j * cell, margin + i * cell, cell, cell);
    }
  }
  ctx.strokeStyle = "#c4cad1";
  ctx.strokeRect(margin - 0.5, margin - 0.5, L * cell + 1, L * cell + 1);

  if (showLabels) {
    ctx.fillStyle = "#1b1f24";
    ctx.font = `${Math.min(12, cell - 1)}px ui-monospace, Menlo, monospace`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (let i = 0; i < L; i++) ctx.fillText(shorten(tokens[i] ?? "", 11), margin - 4, margin + i * cell + cell / 2);
    for (let j = 0; j < L; j++) {
      ctx.save();
      ctx.translate(margin + j * cell + cell / 2, margin - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "left";
      ctx.fillText(shorten(tokens[j] ?? "", 11), 0, 0);
      ctx.restore();
    }
  }

  const move = (ev: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    const scale = r.width > 0 ? size / r.width : 1;
    const j = Math.floor(((ev.clientX - r.left) * scale - margin) / cell);
    const i = Math.floor(((ev.clientY - r.top) * scale - margin) / cell);
    if (i < 0 || j < 0 || i >= L || j >= L) return;
    onHover(`“${tokens[i] ?? i}” (${i}) → “${tokens[j] ?? j}” (${j}): ${data[i * L + j].toFixed(4)} (colours scaled to the max, ${max.toFixed(4)})`);
  };
  canvas.onmousemove = move;
  return {
    clear() {
      canvas.onmousemove = null;
      canvas.width = 0;
      canvas.height = 0;
      canvas.style.width = "0";
      canvas.style.height = "0";
    },
  };
}
