#ifndef SB_BUF_H
#define SB_BUF_H
/*
 * A growable, NUL-terminated text buffer on the heap, for text built outside a request's
 * arena (the Prometheus exposition, the event worker's frames). A failed allocation sets
 * `failed` and every later call does nothing, so a writer checks once at the end.
 */
#include <stddef.h>

struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

void buf_init(struct buf *b);
/* Frees the text (b may be reused after buf_init). */
void buf_free(struct buf *b);
void buf_add(struct buf *b, const char *s, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
