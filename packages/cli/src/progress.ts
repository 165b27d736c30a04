/** Progress bars on stderr (only when stderr is a terminal, so logs and CI output stay clean). */
import cliProgress from "cli-progress";
import type { ProgressEvent } from "@deberta-js/core";

/** "downloading model.safetensors", "cached config.json", "loading model.safetensors". */
export function progressLabel(p: ProgressEvent): string {
  const verb = p.phase === "download" ? "downloading" : p.phase === "cached" ? "cached" : "loading";
  return `${verb} ${p.file}`;
}

/** A `progress_callback` drawing file progress on `bar` (the final "ready" event draws nothing). */
export function loadingProgress(bar: Progress): (p: ProgressEvent) => void {
  return (p) => {
    if (p.status !== "ready") bar.update(progressLabel(p), p.loaded, p.total);
  };
}

export interface Progress {
  update(label: string, value: number, total: number): void;
  stop(): void;
}

export function progress(enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) {
    let last = "";
    return {
      update(label, value, total) {
        // One line per phase when not interactive.
        if (label !== last) {
          last = label;
          process.stderr.write(`${label}…\n`);
        }
        void value;
        void total;
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: "{label} [{bar}] {percentage}% | {value}/{total}", hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(label, value, total) {
      if (!started) {
        bar.start(total, value, { label });
        started = true;
      }
      bar.setTotal(total);
      bar.update(value, { label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
