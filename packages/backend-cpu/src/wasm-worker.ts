/**
 * A WASM kernel worker: instantiates the kernel module on the shared memory, moves its stack pointer to the stack
 * the main thread allocated for it, and enters the pool loop (`dj_worker_main`, which never returns).
 */
interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  id: number;
  stackTop: number;
}

async function start(msg: Start): Promise<void> {
  const instance = await WebAssembly.instantiate(msg.module, { env: { memory: msg.memory } });
  const ex = instance.exports as unknown as { __stack_pointer: WebAssembly.Global; dj_worker_main(id: number): void };
  ex.__stack_pointer.value = msg.stackTop;
  ex.dj_worker_main(msg.id);
}

const isNode = typeof process !== "undefined" && !!process.versions?.node;
if (isNode) {
  const { workerData } = await import(/* @vite-ignore */ "node:worker_threads" as string);
  await start(workerData as Start);
} else {
  (globalThis as unknown as { onmessage: (e: MessageEvent<Start>) => void }).onmessage = (e) => void start(e.data);
}
