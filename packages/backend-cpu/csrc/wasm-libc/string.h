/* Minimal freestanding headers for the wasm32 build (implemented in ../wasm_rt.c). */
#pragma once
#include <stddef.h>
void* memcpy(void* restrict d, const void* restrict s, size_t n);
void* memset(void* d, int c, size_t n);
