/*
 * The JSON-to-field reader (fields.h) with a declaration that has every field type, read
 * for each dialect and both modes: what a route's body goes through before any handler.
 */
#include <string.h>
#include <json-c/json.h>

#include "arena.h"
#include "fields.h"
#include "fuzz.h"
#include "jsonutil.h"
#include "reply.h"
#include "request.h"

static const char *const fz_colours[] = {"red", "green", NULL};
static const struct field_word fz_words[] = {{"crimson", "red"}, {NULL, NULL}};

static const struct field_def fz_defs[] = {
    {"display_name", FT_TEXT, F_REQUIRED, 2, 10, NULL, NULL, "name"},
    {"age", FT_INT, 0, 0, 130, NULL, NULL, NULL},
    {"ratio", FT_NUMBER, 0, 0, 1, NULL, NULL, NULL},
    {"enabled", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    {"colour", FT_ENUM, 0, 0, 0, fz_colours, fz_words, NULL},
    {"email", FT_EMAIL, 0, 0, 0, NULL, NULL, NULL},
    {"phone_number", FT_PHONE, 0, 0, 0, NULL, NULL, NULL},
    {"meta", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    {"ref_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    {"created_at", FT_TEXT, F_READONLY, 0, 30, NULL, NULL, NULL},
    {"note", FT_TEXT, F_ALWAYS | F_NULLABLE, 0, 20, NULL, NULL, NULL},
    {"tags", FT_STRINGS, F_NULLABLE, 0, 5, NULL, NULL, NULL},
};

#define FZ_NFIELDS (sizeof(fz_defs) / sizeof(fz_defs[0]))

static void read_as(struct json_object *body, unsigned family, enum fields_mode mode)
{
    struct arena *a = arena_create(8192);
    if (a == NULL)
        return;
    struct request r;
    struct field_value v[FZ_NFIELDS];
    memset(&r, 0, sizeof(r));
    r.arena = a;
    r.families = family;
    (void)fields_read(&r, body, fz_defs, FZ_NFIELDS, mode, v);
    arena_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *body = NULL;
    if (json_parse_object((const char *)data, size, &body) != 0)
        return 0;
    static const unsigned families[] = {FAM_TRANSFER, FAM_CALLCENTER, FAM_CALLDOCKER,
                                        FAM_COLDCALLER};
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        read_as(body, families[i], FIELDS_CREATE);
        read_as(body, families[i], FIELDS_UPDATE);
    }
    json_object_put(body);
    return 0;
}
