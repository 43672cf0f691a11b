/* survey_link.h: a link signed under the server key verifies; any change to it does not. */
#include <string.h>

#include "arena.h"
#include "survey_link.h"
#include "unit.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static void round_trip(void)
{
    struct arena *a = arena_create(4096);
    struct survey_link in = {"ten_1", "survey_abc", "call", "cdr_01-x"}, out;
    char *t = survey_link_sign(a, key, sizeof(key), &in);
    CHECK_NOT_NULL(t);
    if (t == NULL)
        goto out;
    CHECK(strchr(t, '.') != NULL && strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789-_.") == strlen(t));
    CHECK_EQ_INT(survey_link_verify(a, key, sizeof(key), t, &out), 0);
    CHECK_EQ_STR(out.tenant_id, "ten_1");
    CHECK_EQ_STR(out.survey_id, "survey_abc");
    CHECK_EQ_STR(out.subject_type, "call");
    CHECK_EQ_STR(out.subject_id, "cdr_01-x");
    /* The same link twice is the same token. */
    CHECK_EQ_STR(survey_link_sign(a, key, sizeof(key), &in), t);
out:
    arena_destroy(a);
}

static void tampering_refused(void)
{
    struct arena *a = arena_create(4096);
    struct survey_link in = {"ten_1", "survey_abc", "chat", "chat_9"}, out;
    char *t = survey_link_sign(a, key, sizeof(key), &in);
    CHECK_NOT_NULL(t);
    if (t == NULL)
        goto out;
    unsigned char other[32];
    memcpy(other, key, sizeof(other));
    other[0] ^= 1;
    CHECK_EQ_INT(survey_link_verify(a, other, sizeof(other), t, &out), -1);
    /* Every single-character change of the token is refused. */
    size_t n = strlen(t);
    char *copy = arena_strdup(a, t);
    for (size_t i = 0; copy != NULL && i < n; i++) {
        char c = copy[i];
        copy[i] = c == 'A' ? 'B' : 'A';
        if (strcmp(copy, t) != 0)
            CHECK_EQ_INT(survey_link_verify(a, key, sizeof(key), copy, &out), -1);
        copy[i] = c;
    }
    CHECK_EQ_INT(survey_link_verify(a, key, sizeof(key), "", &out), -1);
    CHECK_EQ_INT(survey_link_verify(a, key, sizeof(key), "abc", &out), -1);
    CHECK_EQ_INT(survey_link_verify(a, key, sizeof(key), ".", &out), -1);
    CHECK_EQ_INT(survey_link_verify(a, key, sizeof(key), NULL, &out), -1);
out:
    arena_destroy(a);
}

static void bad_members_not_signed(void)
{
    struct arena *a = arena_create(4096);
    struct survey_link nl = {"ten\n1", "s", "call", "c"}, empty = {"t", "", "call", "c"};
    CHECK_NULL(survey_link_sign(a, key, sizeof(key), &nl));
    CHECK_NULL(survey_link_sign(a, key, sizeof(key), &empty));
    /* A subject type other than call or chat never verifies, even when signed. */
    struct survey_link odd = {"t", "s", "ticket", "c"}, out;
    char *t = survey_link_sign(a, key, sizeof(key), &odd);
    CHECK(t == NULL || survey_link_verify(a, key, sizeof(key), t, &out) == -1);
    arena_destroy(a);
}

const struct ut_case ut_survey_link_cases[] = {
    {"round_trip", round_trip},
    {"tampering_refused", tampering_refused},
    {"bad_members_not_signed", bad_members_not_signed},
    {NULL, NULL},
};
