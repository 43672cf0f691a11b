#ifndef SB_ARENA_H
#define SB_ARENA_H
/*
 * Per-request arena: every allocation a request makes comes from here and is
 * released in one step by arena_reset() when the request ends. Things that are not
 * arena memory (json-c objects, libjwt handles) are tied to it with
 * arena_cleanup_add(); cleanups run in reverse order of registration.
 * Allocation failure returns NULL (callers answer 500); nothing aborts.
 */
#include <stddef.h>
#include <stdarg.h>

struct arena;

struct arena *arena_create(size_t chunk_size);
void arena_destroy(struct arena *a);
void arena_reset(struct arena *a);

void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t count, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns 0, or -1 when out of memory (the cleanup then runs at once). */
int arena_cleanup_add(struct arena *a, void (*fn)(void *), void *ptr);
/* Ties a json-c object to the arena: json_object_put() runs at reset. Returns obj. */
struct json_object *arena_json(struct arena *a, struct json_object *obj);

#endif
