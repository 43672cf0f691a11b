/* arena.h: chunked allocation, alignment, strings, cleanups, arena_json. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "arena.h"
#include "unit.h"

#define UT_ALIGN _Alignof(max_align_t)

static void create_destroy(void)
{
    struct arena *a = arena_create(0); /* rounded up to a usable size */
    REQUIRE(a != NULL);
    char *p = arena_alloc(a, 10);
    CHECK(p != NULL);
    arena_destroy(a);
    arena_destroy(NULL);
    a = arena_create(1 << 20);
    REQUIRE(a != NULL);
    arena_reset(a); /* reset of a fresh arena */
    arena_destroy(a);
}

static void many_allocations(void)
{
    struct arena *a = arena_create(1024);
    REQUIRE(a != NULL);
    enum { N = 5000 };
    unsigned char **p = malloc(N * sizeof(*p));
    size_t *len = malloc(N * sizeof(*len));
    if (p == NULL || len == NULL) {
        free(p);
        free(len);
        arena_destroy(a);
        REQUIRE(0);
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            len[i] = (size_t)(i * 7919 % 600) + (i % 97 == 0 ? 3000 : 0); /* some > chunk */
            p[i] = arena_alloc(a, len[i]);
            if (p[i] == NULL) {
                ut_fail(__FILE__, __LINE__, "arena_alloc(%zu) failed at %d", len[i], i);
                break;
            }
            if ((uintptr_t)p[i] % UT_ALIGN != 0)
                ut_fail(__FILE__, __LINE__, "arena_alloc(%zu) = %p is not aligned", len[i],
                        (void *)p[i]);
            memset(p[i], (unsigned char)i, len[i]);
        }
        /* Nothing overlapped: every block still holds its own byte. */
        for (int i = 0; i < N && p[i] != NULL; i++)
            for (size_t k = 0; k < len[i]; k++)
                if (p[i][k] != (unsigned char)i) {
                    ut_fail(__FILE__, __LINE__, "block %d byte %zu overwritten", i, k);
                    break;
                }
        arena_reset(a);
    }
    free(p);
    free(len);
    arena_destroy(a);
}

static void alignment(void)
{
    struct arena *a = arena_create(1024);
    REQUIRE(a != NULL);
    size_t sizes[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 1023, 1024, 1025, 5000, 1};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        void *p = arena_alloc(a, sizes[i]);
        CHECK(p != NULL && (uintptr_t)p % UT_ALIGN == 0);
        p = arena_calloc(a, 3, sizes[i]);
        CHECK(p != NULL && (uintptr_t)p % UT_ALIGN == 0);
        char *s = arena_strndup(a, "abcdefgh", i % 8);
        CHECK(s != NULL && (uintptr_t)s % UT_ALIGN == 0);
    }
    /* Zero bytes gives a distinct usable pointer. */
    void *z1 = arena_alloc(a, 0), *z2 = arena_alloc(a, 0);
    CHECK(z1 != NULL && z2 != NULL && z1 != z2);
    /* A long double / max_align_t store works (UBSan checks alignment). */
    max_align_t *m = arena_alloc(a, sizeof(*m) * 4);
    REQUIRE(m != NULL);
    memset(m, 0, sizeof(*m) * 4);
    long double *ld = arena_alloc(a, sizeof(long double));
    REQUIRE(ld != NULL);
    *ld = 1.5L;
    CHECK(*ld == 1.5L);
    arena_destroy(a);
}

static void large_blocks(void)
{
    struct arena *a = arena_create(1024);
    REQUIRE(a != NULL);
    unsigned char *big = arena_alloc(a, 1 << 20);
    REQUIRE(big != NULL);
    memset(big, 0xab, 1 << 20);
    char *small = arena_strdup(a, "after");
    CHECK_EQ_STR(small, "after");
    CHECK_EQ_INT(big[(1 << 20) - 1], 0xab);
    arena_reset(a);
    /* After a reset the arena is usable again, including for more big blocks. */
    for (int i = 0; i < 8; i++) {
        big = arena_alloc(a, 100000);
        REQUIRE(big != NULL);
        memset(big, i, 100000);
    }
    arena_destroy(a);
}

static void calloc_and_strings(void)
{
    struct arena *a = arena_create(1024);
    REQUIRE(a != NULL);
    /* Dirty the first chunk, reset, then calloc must still give zeros. */
    memset(arena_alloc(a, 900), 0xff, 900);
    arena_reset(a);
    unsigned char *z = arena_calloc(a, 100, 9);
    REQUIRE(z != NULL);
    int nonzero = 0;
    for (int i = 0; i < 900; i++)
        nonzero |= z[i];
    CHECK_EQ_INT(nonzero, 0);
    CHECK_NULL(arena_calloc(a, SIZE_MAX / 2 + 1, 2));
    CHECK_NULL(arena_calloc(a, 2, SIZE_MAX / 2 + 1));
    CHECK(arena_calloc(a, 0, 16) != NULL);

    CHECK_EQ_STR(arena_strdup(a, "hello"), "hello");
    CHECK_EQ_STR(arena_strdup(a, ""), "");
    CHECK_EQ_STR(arena_strndup(a, "hello", 3), "hel");
    CHECK_EQ_STR(arena_strndup(a, "hello", 0), "");
    /* strndup copies exactly n bytes even past a NUL, then terminates. */
    char *s = arena_strndup(a, "ab\0cd", 5);
    CHECK(s != NULL && memcmp(s, "ab\0cd", 6) == 0);
    CHECK_EQ_STR(arena_printf(a, "%s-%d-%05.1f", "x", 42, 2.25), "x-42-002.2");
    CHECK_EQ_STR(arena_printf(a, "%s", ""), "");
    /* A printf longer than a chunk. */
    char *longs = arena_printf(a, "%3000d|%s", 7, "end");
    CHECK(longs != NULL && strlen(longs) == 3004 && strcmp(longs + 3000, "|end") == 0);
    arena_destroy(a);
}

/*
 * Sizes whose rounding or chunk header overflow size_t must fail ("allocation failure
 * returns NULL"), not return a tiny block. Run in a child process: a wrong answer can
 * be a heap overflow that would end the whole run. Child exit: 0 all NULL, 10 + k when
 * k sizes gave a block, anything else a crash (ASan exits 1).
 */
static void huge_sizes_fail(void)
{
    static const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 8, SIZE_MAX - 40};
    static const char *const names[] = {"SIZE_MAX", "SIZE_MAX - 8", "SIZE_MAX - 40"};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            struct arena *a = arena_create(1024);
            if (a == NULL)
                _exit(3);
            int bad = arena_alloc(a, sizes[i]) != NULL;
            /* The arena is still fine afterwards. */
            char *s = arena_strdup(a, "ok");
            if (s == NULL || strcmp(s, "ok") != 0)
                _exit(4);
            arena_destroy(a);
            _exit(bad ? 11 : 0);
        }
        int st = 0;
        REQUIRE(waitpid(pid, &st, 0) == pid);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            continue;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 11)
            ut_fail(__FILE__, __LINE__, "arena_alloc(a, %s) returned a block, expected NULL",
                    names[i]);
        else if (WIFEXITED(st))
            ut_fail(__FILE__, __LINE__, "arena_alloc(a, %s): child exited %d (crash)",
                    names[i], WEXITSTATUS(st));
        else
            ut_fail(__FILE__, __LINE__, "arena_alloc(a, %s): child killed by signal %d",
                    names[i], WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    }
}

static int ut_log[16];
static int ut_nlog;

static void ut_record(void *p)
{
    if (ut_nlog < 16)
        ut_log[ut_nlog++] = (int)(intptr_t)p;
}

static void cleanups_reverse(void)
{
    struct arena *a = arena_create(1024);
    REQUIRE(a != NULL);
    ut_nlog = 0;
    for (intptr_t i = 0; i < 5; i++) {
        CHECK_EQ_INT(arena_cleanup_add(a, ut_record, (void *)i), 0);
        (void)arena_alloc(a, 700); /* cleanups spread over several chunks */
    }
    CHECK_EQ_INT(ut_nlog, 0);
    arena_reset(a);
    CHECK_EQ_INT(ut_nlog, 5);
    for (int i = 0; i < 5 && i < ut_nlog; i++)
        CHECK_EQ_INT(ut_log[i], 4 - i);
    /* A second reset runs nothing again. */
    arena_reset(a);
    CHECK_EQ_INT(ut_nlog, 5);
    /* Cleanups added after a reset run on the next reset. */
    ut_nlog = 0;
    CHECK_EQ_INT(arena_cleanup_add(a, ut_record, (void *)(intptr_t)10), 0);
    CHECK_EQ_INT(arena_cleanup_add(a, ut_record, (void *)(intptr_t)11), 0);
    arena_reset(a);
    CHECK_EQ_INT(ut_nlog, 2);
    CHECK_EQ_INT(ut_log[0], 11);
    CHECK_EQ_INT(ut_log[1], 10);
    /* Destroy runs pending cleanups too. */
    ut_nlog = 0;
    CHECK_EQ_INT(arena_cleanup_add(a, ut_record, (void *)(intptr_t)20), 0);
    CHECK_EQ_INT(arena_cleanup_add(a, ut_record, (void *)(intptr_t)21), 0);
    CHECK_EQ_INT(arena_cleanup_add(a, ut_record, (void *)(intptr_t)22), 0);
    arena_destroy(a);
    CHECK_EQ_INT(ut_nlog, 3);
    CHECK_EQ_INT(ut_log[0], 22);
    CHECK_EQ_INT(ut_log[2], 20);
}

static void json_tied(void)
{
    struct arena *a = arena_create(1024);
    REQUIRE(a != NULL);
    struct json_object *o = json_object_new_object();
    REQUIRE(o != NULL);
    json_object_get(o); /* our own reference, to observe the arena's put */
    CHECK(arena_json(a, o) == o);
    arena_reset(a);
    /* The arena dropped its reference: ours is the last, so this put frees it. */
    CHECK_EQ_INT(json_object_put(o), 1);
    CHECK_NULL(arena_json(a, NULL));

    /* Objects tied to the arena are freed by reset/destroy (LeakSanitizer checks). */
    struct json_object *child = arena_json(a, json_object_new_string("x"));
    struct json_object *parent = arena_json(a, json_object_new_array());
    REQUIRE(child != NULL && parent != NULL);
    json_object_array_add(parent, json_object_get(child));
    arena_reset(a);
    CHECK(arena_json(a, json_object_new_int(5)) != NULL);
    arena_destroy(a);
}

const struct ut_case ut_arena_cases[] = {
    {"create_destroy", create_destroy},
    {"many_allocations", many_allocations},
    {"alignment", alignment},
    {"large_blocks", large_blocks},
    {"calloc_and_strings", calloc_and_strings},
    {"huge_sizes_fail", huge_sizes_fail},
    {"cleanups_reverse", cleanups_reverse},
    {"json_tied", json_tied},
    {NULL, NULL},
};
