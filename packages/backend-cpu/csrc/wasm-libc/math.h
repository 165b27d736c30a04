/* Minimal freestanding headers for the wasm32 build: sqrtf is one instruction. */
#pragma once
#define sqrtf(x) __builtin_sqrtf(x)
