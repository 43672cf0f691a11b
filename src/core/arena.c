#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    _Alignas(max_align_t) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *ptr;
};

struct arena {
    struct chunk *head;
    struct cleanup *cleanups;
    size_t chunk_size;
};

static struct chunk *chunk_new(size_t size)
{
    struct chunk *c = malloc(sizeof(*c) + size);
    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

struct arena *arena_create(size_t chunk_size)
{
    struct arena *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->chunk_size = chunk_size < 1024 ? 1024 : chunk_size;
    a->head = chunk_new(a->chunk_size);
    if (a->head == NULL) {
        free(a);
        return NULL;
    }
    return a;
}

static void run_cleanups(struct arena *a)
{
    /* Registered last, run first: later objects may refer to earlier ones. */
    while (a->cleanups != NULL) {
        struct cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->ptr);
    }
}

void arena_reset(struct arena *a)
{
    run_cleanups(a);
    /* Keep one chunk (the first-created, at the tail) so steady state does no malloc. */
    struct chunk *c = a->head;
    while (c->next != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    c->used = 0;
    a->head = c;
}

void arena_destroy(struct arena *a)
{
    if (a == NULL)
        return;
    run_cleanups(a);
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

/* No request needs more; refusing larger sizes also rules out size_t overflow below. */
#define ARENA_MAX_ALLOC ((size_t)1 << 30)

void *arena_alloc(struct arena *a, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    if (n > ARENA_MAX_ALLOC)
        return NULL;
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    struct chunk *c = a->head;
    if (c->size - c->used < n) {
        size_t size = n > a->chunk_size ? n : a->chunk_size;
        struct chunk *fresh = chunk_new(size);
        if (fresh == NULL)
            return NULL;
        fresh->next = c;
        a->head = fresh;
        c = fresh;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
    if (size != 0 && count > (size_t)-1 / size)
        return NULL;
    void *p = arena_alloc(a, count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    if (n >= ARENA_MAX_ALLOC)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int arena_cleanup_add(struct arena *a, void (*fn)(void *), void *ptr)
{
    struct cleanup *c = arena_alloc(a, sizeof(*c));
    if (c == NULL) {
        fn(ptr);
        return -1;
    }
    c->fn = fn;
    c->ptr = ptr;
    c->next = a->cleanups;
    a->cleanups = c;
    return 0;
}

static void json_put(void *p)
{
    json_object_put(p);
}

struct json_object *arena_json(struct arena *a, struct json_object *obj)
{
    if (obj == NULL)
        return NULL;
    if (arena_cleanup_add(a, json_put, obj) != 0)
        return NULL;
    return obj;
}
