// The tf_model.h5 reader's worker (Node worker_threads or a browser module Worker). It runs h5wasm, the HDF5 C
// library compiled to WebAssembly, off the caller's thread: HDF5 can loop forever or abort on a corrupt file, and
// only a worker can be stopped from outside (see src/weights/tf-h5.ts, which enforces a deadline and validates
// everything this returns). Plain JavaScript so that it runs unbuilt, from src and from dist alike.
//
// Request:  { id, bytes: Uint8Array, name }
// Reply:    { id, ok: true, layerNames, variables: [{ key, fullName, layer, shape, type, size, littleEndian, data }] }
//        or { id, ok: false, message }    (message names the file and the layer or dataset)
import * as h5wasm from "h5wasm";

const Module = await h5wasm.ready;
// Make HDF5 errors throw (with the error stack as text) instead of printing to stderr.
Module.activate_throwing_error_handler();
const FS = Module.FS;

class ReadError extends Error {}

/** The innermost message of an HDF5 error stack, or the first line of the text. */
function describe(e) {
  const text = e instanceof Error ? e.message : String(e);
  const frames = [...text.matchAll(/#\d+: [^\n]*?\(\): ([^\n]*)/g)].map((m) => m[1].trim());
  const minor = [...text.matchAll(/minor: ([^\n]*)/g)].map((m) => m[1].trim());
  if (frames.length) return `${frames[frames.length - 1]}${minor.length ? ` (${minor[minor.length - 1]})` : ""}`;
  return text.split("\n")[0].slice(0, 300);
}

function guard(name, where, f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof ReadError) throw e;
    throw new ReadError(`${name}: cannot read ${where}: ${describe(e)}`);
  }
}

/** Names come from the file: refuse ones HDF5 would resolve elsewhere (absolute, empty, "." or ".." parts). */
function validName(n) {
  return typeof n === "string" && n.length > 0 && !n.startsWith("/") && n.split("/").every((p) => p !== "" && p !== "." && p !== "..");
}

/**
 * A name-list attribute as strings: h5py ≥ 3 writes variable-length strings, h5py 2 fixed-length ones (NUL padded),
 * an empty list is an empty float64 array. Keras splits long lists over `name0`, `name1`, … (concatenated here).
 */
function nameList(obj, attr, what) {
  const attrs = obj.attrs;
  const one = (key) => {
    const v = attrs[key].value;
    const strip = (s) => s.replace(/\0+$/, "");
    if (typeof v === "string") return [strip(v)];
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.map(strip);
    if ((Array.isArray(v) || ArrayBuffer.isView(v)) && v.length === 0) return [];
    throw new ReadError(`${what}: attribute "${key}" must be a list of strings`);
  };
  if (attr in attrs) return one(attr);
  if (!(`${attr}0` in attrs)) return undefined;
  const out = [];
  for (let i = 0; `${attr}${i}` in attrs; i++) out.push(...one(`${attr}${i}`));
  return out;
}

function read(bytes, name) {
  const path = `/tf-model-${Math.random().toString(36).slice(2)}.h5`;
  // canOwn: MEMFS keeps a view of the bytes instead of copying them.
  FS.writeFile(path, bytes, { canOwn: true });
  let file;
  try {
    try {
      file = new h5wasm.File(path, "r");
    } catch (e) {
      throw new ReadError(`${name}: not a readable HDF5 file (truncated or corrupt): ${describe(e)}`);
    }
    const layerNames = guard(name, "the root group", () => nameList(file, "layer_names", `${name}: the root group`));
    if (layerNames === undefined) {
      const keras3 = guard(name, "the root group", () => file.keys()).includes("layers");
      throw new ReadError(
        `${name}: not a Keras weights file: the root group has no "layer_names" attribute` +
          (keras3 ? " (this looks like a Keras 3 `.weights.h5` file, which Hugging Face models never write)" : ""),
      );
    }
    const variables = [];
    const seen = new Map();
    let total = 0;
    for (const layer of layerNames) {
      const lw = `layer "${layer}"`;
      const group = guard(name, lw, () => (validName(layer) ? file.get(layer) : null));
      if (!(group instanceof h5wasm.Group)) {
        throw new ReadError(`${name}: ${lw} is listed in "layer_names" but the file has no group "/${layer}"`);
      }
      const weightNames = guard(name, lw, () => nameList(group, "weight_names", `${name}: group "/${layer}"`));
      if (weightNames === undefined) throw new ReadError(`${name}: group "/${layer}" has no "weight_names" attribute`);
      for (const full of weightNames) {
        const where = `dataset "/${layer}/${full}"`;
        const key = full.includes("/") ? full.slice(full.indexOf("/") + 1) : full;
        const entity = guard(name, where, () => (validName(full) ? group.get(full) : null));
        if (!(entity instanceof h5wasm.Dataset)) {
          throw new ReadError(`${name}: ${where} is listed in the "weight_names" of layer "${layer}" but is ${entity ? "not a dataset" : "missing"}`);
        }
        const meta = guard(name, where, () => entity.metadata);
        const shape = meta.shape ?? [];
        if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new ReadError(`${name}: ${where} has an invalid shape ${JSON.stringify(meta.shape)}`);
        const prev = seen.get(key);
        if (prev) {
          // The MLM head group lists the embeddings again: the same variable, read once.
          if (prev.shape.join(",") !== shape.join(",")) {
            throw new ReadError(`${name}: ${where} repeats variable "${key}" of layer "${prev.layer}" with shape [${shape.join(", ")}] instead of [${prev.shape.join(", ")}]`);
          }
          continue;
        }
        const v = { key, fullName: full, layer, shape, type: meta.type, size: meta.size, littleEndian: meta.littleEndian, data: null };
        seen.set(key, v);
        variables.push(v);
        if (meta.type !== 1 || !meta.littleEndian || (meta.size !== 4 && meta.size !== 8)) continue; // rejected by the caller, by name
        // Bounded memory: TF writes contiguous uncompressed floats, so every dataset, and all of them together,
        // fit in the file. A larger declaration is corrupt (or compressed, which Keras never writes).
        const nbytes = shape.reduce((a, b) => a * b, 1) * meta.size;
        if (nbytes > bytes.byteLength || total + nbytes > bytes.byteLength) {
          throw new ReadError(`${name}: ${where} declares ${nbytes} bytes ([${shape.join(", ")}]) but the file has only ${bytes.byteLength} (or the datasets add up to more; corrupt or compressed datasets are not supported)`);
        }
        total += nbytes;
        v.data = guard(name, where, () => entity.value);
      }
    }
    return { layerNames, variables };
  } finally {
    try {
      file?.close();
    } catch {
      // a corrupt file can fail to close; the MEMFS entry goes below regardless
    }
    FS.unlink(path);
  }
}

function reply(post, id, bytes, name) {
  try {
    const out = read(bytes, name);
    const transfer = out.variables.filter((v) => ArrayBuffer.isView(v.data)).map((v) => v.data.buffer);
    post({ id, ok: true, ...out }, transfer);
  } catch (e) {
    post({ id, ok: false, message: e instanceof ReadError ? e.message : `${name}: HDF5 reader failed: ${describe(e)}` });
  }
}

if (typeof self !== "undefined" && typeof self.postMessage === "function" && typeof window === "undefined") {
  // Browser module worker.
  self.onmessage = (ev) => reply((m, t) => self.postMessage(m, t), ev.data.id, ev.data.bytes, ev.data.name);
} else {
  // A non-literal specifier, so that bundling this file for browsers leaves Node's module alone.
  const spec = "node:worker_threads";
  const { parentPort } = await import(/* @vite-ignore */ /* webpackIgnore: true */ spec);
  parentPort?.on("message", (m) => reply((msg, t) => parentPort.postMessage(msg, t), m.id, m.bytes, m.name));
}
