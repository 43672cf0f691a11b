#ifndef SB_UTF8_H
#define SB_UTF8_H
#include <stddef.h>
/*
 * Length of the one well-formed UTF-8 sequence at p (1 to 4), or 0 when it is not one:
 * truncated, overlong, a surrogate, above U+10FFFF, or a stray byte. NUL counts as valid.
 */
size_t utf8_next(const unsigned char *p, size_t avail);
#endif
