#ifndef SB_FUZZ_H
#define SB_FUZZ_H
/*
 * A fuzz target: one parser of outside input, called with arbitrary bytes. Built two ways
 * (Makefile): with libFuzzer's main for `make fuzz` (clang), and with replay.c's main for
 * `make test`, which feeds it every file of its corpus and regressions under ASan/UBSan.
 * A target must never crash, leak or trip a sanitizer, whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd; NULL when out of memory). Inputs may hold
 * NULs: a parser given a C string sees the text up to the first one. */
char *fuzz_cstr(const uint8_t *data, size_t size);
/* Splits s at the first `sep` (which becomes NUL); the rest, or "" when there is none. */
char *fuzz_split(char *s, char sep);

#endif
