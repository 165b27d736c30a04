// A WASM kernel worker (plain JS so the same file serves src/ and dist/, Node and browsers): instantiates the kernel
// module on the shared memory, moves its stack pointer to the stack the main thread allocated for it, says "ready",
// and enters the pool loop (dj_worker_main, which never returns; it sleeps in Atomics.wait while idle).
async function start(msg, post) {
  const instance = await WebAssembly.instantiate(msg.module, { env: { memory: msg.memory } });
  instance.exports.__stack_pointer.value = msg.stackTop;
  post("ready");
  instance.exports.dj_worker_main(msg.id);
}

if (typeof process !== "undefined" && process.versions?.node) {
  const { workerData, parentPort } = await import("node:worker_threads");
  await start(workerData, (m) => parentPort.postMessage(m));
} else {
  globalThis.onmessage = (e) => void start(e.data, (m) => globalThis.postMessage(m));
}
