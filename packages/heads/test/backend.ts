// The backend the heads tests run on: the CPU backend, fp32, one instance shared by the file's tests.
import type { Backend } from "@deberta-js/core";
import { createCpuBackend } from "@deberta-js/backend-cpu";

let backend: Backend | undefined;

export async function testBackend(): Promise<Backend> {
  backend ??= createCpuBackend();
  return backend;
}
