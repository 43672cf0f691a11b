/* fields.h: the declared-input reader, every type, bound and format, "not sent" vs null. */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "arena.h"
#include "fields.h"
#include "jsonutil.h"
#include "request.h"
#include "unit.h"

static const char *const ut_colours[] = {"red", "green", NULL};
static const struct field_word ut_colour_words[] = {{"crimson", "red"}, {NULL, NULL}};

enum { UT_NAME, UT_AGE, UT_RATIO, UT_ON, UT_COLOUR, UT_EMAIL, UT_PHONE, UT_META, UT_REF,
       UT_SECRET, UT_NOTE, UT_NFIELDS };

static const struct field_def ut_defs[] = {
    [UT_NAME] = {"display_name", FT_TEXT, F_REQUIRED, 2, 10, NULL, NULL, "name"},
    [UT_AGE] = {"age", FT_INT, 0, 0, 130, NULL, NULL, NULL},
    [UT_RATIO] = {"ratio", FT_NUMBER, 0, 0, 1, NULL, NULL, NULL},
    [UT_ON] = {"enabled", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    [UT_COLOUR] = {"colour", FT_ENUM, 0, 0, 0, ut_colours, ut_colour_words, NULL},
    [UT_EMAIL] = {"email", FT_EMAIL, 0, 0, 0, NULL, NULL, NULL},
    [UT_PHONE] = {"phone_number", FT_PHONE, 0, 0, 0, NULL, NULL, NULL},
    [UT_META] = {"meta", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [UT_REF] = {"ref_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [UT_SECRET] = {"created_at", FT_TEXT, F_READONLY, 0, 30, NULL, NULL, NULL},
    [UT_NOTE] = {"note", FT_TEXT, F_ALWAYS | F_NULLABLE, 0, 20, NULL, NULL, NULL},
};

struct ut_read {
    struct arena *a;
    struct request r;
    struct field_value v[UT_NFIELDS];
    int rc;
};

/* Reads the JSON text against ut_defs for the families given; the arena outlives it. */
static void ut_read(struct ut_read *t, const char *json, enum fields_mode mode, unsigned fam)
{
    memset(t, 0, sizeof(*t));
    t->a = arena_create(8192);
    t->r.arena = t->a;
    t->r.families = fam;
    struct json_object *body = NULL;
    t->rc = -2;
    if (t->a == NULL || json_parse_object(json, strlen(json), &body) != 0)
        return;
    arena_json(t->a, body);
    t->rc = fields_read(&t->r, body, ut_defs, UT_NFIELDS, mode, t->v);
}

/* The 422 reason recorded for a field, NULL when none. */
static const char *ut_reason(struct ut_read *t, const char *field)
{
    struct json_object *v;
    if (t->r.field_errors == NULL || !json_object_object_get_ex(t->r.field_errors, field, &v))
        return NULL;
    return json_object_get_string(v);
}

static int ut_nerrors(struct ut_read *t)
{
    return t->r.field_errors ? json_object_object_length(t->r.field_errors) : 0;
}

static void ut_done(struct ut_read *t)
{
    arena_destroy(t->a);
}

static void every_type_read(void)
{
    struct ut_read t;
    ut_read(&t,
            "{\"display_name\":\"Ann\",\"age\":42,\"ratio\":0.5,\"enabled\":false,"
            "\"colour\":\"green\",\"email\":\"Ann@Example.COM\",\"phone_number\":\"+1 (555) "
            "000-1111\",\"meta\":{\"k\":[1,2]},\"ref_id\":\"r_1\",\"note\":\"hi\","
            "\"unknown\":\"ignored\"}",
            FIELDS_CREATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, 0);
    CHECK_EQ_INT(ut_nerrors(&t), 0);
    CHECK_EQ_STR(t.v[UT_NAME].s, "Ann");
    CHECK_EQ_INT(t.v[UT_AGE].i, 42);
    CHECK(t.v[UT_RATIO].d == 0.5);
    CHECK(t.v[UT_ON].sent && !t.v[UT_ON].b);
    CHECK_EQ_STR(t.v[UT_COLOUR].s, "green");
    CHECK_EQ_STR(t.v[UT_EMAIL].s, "ann@example.com");
    CHECK_EQ_STR(t.v[UT_PHONE].s, "+15550001111");
    CHECK(t.v[UT_META].s != NULL && strstr(t.v[UT_META].s, "\"k\"") != NULL);
    CHECK_EQ_STR(t.v[UT_REF].s, "r_1");
    CHECK(!t.v[UT_SECRET].sent);
    for (int i = 0; i < UT_NFIELDS; i++)
        if (i != UT_SECRET)
            CHECK(t.v[i].sent && !t.v[i].null);
    ut_done(&t);
}

static void not_sent_and_null_differ(void)
{
    struct ut_read t;
    ut_read(&t, "{\"meta\":null,\"note\":null}", FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, 0);
    CHECK(t.v[UT_META].sent && t.v[UT_META].null);
    CHECK(t.v[UT_NOTE].sent && t.v[UT_NOTE].null);
    CHECK(!t.v[UT_REF].sent && !t.v[UT_REF].null);
    CHECK(!t.v[UT_NAME].sent && !t.v[UT_AGE].sent);
    ut_done(&t);
    /* null where the declaration does not allow it. */
    ut_read(&t, "{\"age\":null,\"note\":\"x\"}", FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, -1);
    CHECK_EQ_STR(ut_reason(&t, "age"), "must not be null");
    CHECK(!t.v[UT_AGE].sent);
    ut_done(&t);
}

static void required_on_create_always_on_update(void)
{
    struct ut_read t;
    ut_read(&t, "{}", FIELDS_CREATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, -1);
    CHECK_EQ_STR(ut_reason(&t, "display_name"), "is required");
    CHECK_EQ_STR(ut_reason(&t, "note"), "is required");
    CHECK_EQ_INT(ut_nerrors(&t), 2);
    CHECK_EQ_INT(t.r.reply.status, 422);
    ut_done(&t);
    /* On update only F_ALWAYS is required. */
    ut_read(&t, "{}", FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_STR(ut_reason(&t, "note"), "is required");
    CHECK(ut_reason(&t, "display_name") == NULL);
    ut_done(&t);
}

static void bounds_and_types(void)
{
    struct ut_read t;
    ut_read(&t,
            "{\"display_name\":\"A\",\"age\":131,\"ratio\":1.5,\"enabled\":\"yes\","
            "\"meta\":[1],\"ref_id\":\"\",\"note\":\"012345678901234567890\"}",
            FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, -1);
    CHECK_EQ_STR(ut_reason(&t, "display_name"), "must be 2 to 10 characters");
    CHECK(ut_reason(&t, "age") != NULL && strstr(ut_reason(&t, "age"), "130") != NULL);
    CHECK_EQ_STR(ut_reason(&t, "ratio"), "must be between 0 and 1");
    CHECK_EQ_STR(ut_reason(&t, "enabled"), "must be true or false");
    CHECK_EQ_STR(ut_reason(&t, "meta"), "must be a JSON object");
    CHECK(ut_reason(&t, "ref_id") != NULL);
    CHECK(ut_reason(&t, "note") != NULL);
    ut_done(&t);
    ut_read(&t, "{\"age\":\"42\",\"ratio\":\"x\",\"display_name\":7,\"note\":\"   \"}",
            FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_STR(ut_reason(&t, "age"), "must be an integer");
    CHECK_EQ_STR(ut_reason(&t, "ratio"), "must be a number");
    CHECK_EQ_STR(ut_reason(&t, "display_name"), "must be a string");
    CHECK(ut_reason(&t, "note") == NULL); /* min 0: blank text is a value */
    ut_done(&t);
    /* Bounds are inclusive. */
    ut_read(&t, "{\"display_name\":\"0123456789\",\"age\":130,\"ratio\":1,\"note\":\"\"}",
            FIELDS_CREATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, 0);
    ut_done(&t);
}

static void formats(void)
{
    struct ut_read t;
    ut_read(&t, "{\"email\":\"not-an-address\",\"phone_number\":\"5550001111\",\"note\":null}",
            FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_STR(ut_reason(&t, "email"), "must be a valid email address");
    CHECK(ut_reason(&t, "phone_number") != NULL &&
          strstr(ut_reason(&t, "phone_number"), "E.164") != NULL);
    ut_done(&t);
    /* Keypad letters are digits; a leading zero after + is not a country code. */
    ut_read(&t, "{\"phone_number\":\"+1-800-FLOWERS\",\"note\":null}", FIELDS_UPDATE,
            FAM_TRANSFER);
    CHECK_EQ_STR(t.v[UT_PHONE].s, "+18003569377");
    ut_done(&t);
    ut_read(&t, "{\"phone_number\":\"+0123456789\",\"note\":null}", FIELDS_UPDATE, FAM_TRANSFER);
    CHECK(ut_reason(&t, "phone_number") != NULL);
    ut_done(&t);
}

static void enum_words_and_values(void)
{
    struct ut_read t;
    ut_read(&t, "{\"colour\":\"crimson\",\"note\":null}", FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, 0);
    CHECK_EQ_STR(t.v[UT_COLOUR].s, "red"); /* the client's word, stored as ours */
    ut_done(&t);
    ut_read(&t, "{\"colour\":\"blue\",\"note\":null}", FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, -1);
    CHECK(ut_reason(&t, "colour") != NULL && strstr(ut_reason(&t, "colour"), "red") != NULL &&
          strstr(ut_reason(&t, "colour"), "green") != NULL);
    ut_done(&t);
    CHECK_EQ_STR(fields_word(ut_colour_words, "crimson"), "red");
    CHECK_EQ_STR(fields_word(ut_colour_words, "teal"), "teal");
    CHECK_EQ_STR(fields_word(NULL, "teal"), "teal");
}

static void names_alias_camel_readonly(void)
{
    struct ut_read t;
    /* The alias stands for the name. */
    ut_read(&t, "{\"name\":\"Bob\",\"note\":null}", FIELDS_CREATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, 0);
    CHECK_EQ_STR(t.v[UT_NAME].s, "Bob");
    ut_done(&t);
    /* camelCase only for coldcaller routes; the 422 names the key the client sent. */
    ut_read(&t, "{\"displayName\":\"Cy\",\"phoneNumber\":\"+15550002222\",\"note\":null}",
            FIELDS_CREATE, FAM_COLDCALLER);
    CHECK_EQ_INT(t.rc, 0);
    CHECK_EQ_STR(t.v[UT_NAME].s, "Cy");
    CHECK_EQ_STR(t.v[UT_PHONE].s, "+15550002222");
    ut_done(&t);
    ut_read(&t, "{\"displayName\":\"Cy\",\"note\":null}", FIELDS_CREATE, FAM_TRANSFER);
    CHECK_EQ_STR(ut_reason(&t, "display_name"), "is required");
    ut_done(&t);
    ut_read(&t, "{\"displayName\":\"C\",\"note\":null}", FIELDS_CREATE, FAM_COLDCALLER);
    CHECK(ut_reason(&t, "displayName") != NULL);
    ut_done(&t);
    /* A read-only field sent is refused, and never read. */
    ut_read(&t, "{\"created_at\":\"2026-01-01\",\"note\":null}", FIELDS_UPDATE, FAM_TRANSFER);
    CHECK_EQ_INT(t.rc, -1);
    CHECK_EQ_STR(ut_reason(&t, "created_at"), "is read-only");
    CHECK(t.v[UT_SECRET].s == NULL);
    ut_done(&t);
}

static const struct field_def ut_list_defs[] = {
    {"tags", FT_STRINGS, F_NULLABLE, 0, 3, NULL, NULL, NULL},
};

/* A list's JSON text read against ut_list_defs: the rc, the value's text in *out. */
static int ut_list(const char *json, const char **out, bool *null)
{
    struct arena *a = arena_create(4096);
    struct request r;
    struct field_value v;
    struct json_object *body = NULL;
    static char kept[256];
    memset(&r, 0, sizeof(r));
    r.arena = a;
    int rc = -2;
    if (a != NULL && json_parse_object(json, strlen(json), &body) == 0) {
        arena_json(a, body);
        rc = fields_read(&r, body, ut_list_defs, 1, FIELDS_CREATE, &v);
        snprintf(kept, sizeof(kept), "%s", rc == 0 && v.s ? v.s : "");
        *null = v.null;
    }
    arena_destroy(a);
    *out = kept;
    return rc;
}

static void string_lists(void)
{
    const char *text;
    bool null = false;
    CHECK_EQ_INT(ut_list("{\"tags\":[\"vip\",\"é\"]}", &text, &null), 0);
    CHECK_EQ_STR(text, "[\"vip\",\"é\"]");
    CHECK_EQ_INT(ut_list("{\"tags\":[]}", &text, &null), 0);
    CHECK_EQ_STR(text, "[]");
    CHECK_EQ_INT(ut_list("{\"tags\":null}", &text, &null), 0);
    CHECK(null);
    /* Too many, not an array, an item not a string, blank or too long. */
    CHECK_EQ_INT(ut_list("{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", &text, &null), -1);
    CHECK_EQ_INT(ut_list("{\"tags\":\"vip\"}", &text, &null), -1);
    CHECK_EQ_INT(ut_list("{\"tags\":[1]}", &text, &null), -1);
    CHECK_EQ_INT(ut_list("{\"tags\":[\" \"]}", &text, &null), -1);
    char big[400];
    memset(big, 'x', sizeof(big));
    snprintf(big, sizeof(big), "{\"tags\":[\"%0256d\"]}", 0);
    CHECK_EQ_INT(ut_list(big, &text, &null), -1);
}

const struct ut_case ut_fields_cases[] = {
    {"string_lists", string_lists},
    {"every_type_read", every_type_read},
    {"not_sent_and_null_differ", not_sent_and_null_differ},
    {"required_on_create_always_on_update", required_on_create_always_on_update},
    {"bounds_and_types", bounds_and_types},
    {"formats", formats},
    {"enum_words_and_values", enum_words_and_values},
    {"names_alias_camel_readonly", names_alias_camel_readonly},
    {NULL, NULL},
};
