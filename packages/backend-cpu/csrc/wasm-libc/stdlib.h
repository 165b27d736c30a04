/* Minimal freestanding headers for the wasm32 build (implemented in ../wasm_rt.c). */
#pragma once
#include <stddef.h>
void* malloc(size_t n);
void free(void* p);
