/* render.c: one answer in each dialect (reply.h, ../shared/clients.md). */
#include <string.h>
#include <json-c/json.h>

#include "arena.h"
#include "jsonutil.h"
#include "reply.h"
#include "unit.h"

/* Renders rep for families and parses the body back. NULL when it is not JSON. */
static struct json_object *ut_render(struct arena *a, const struct reply *rep, unsigned fam,
                                     struct json_object *fields)
{
    struct render_ctx ctx = {fam, "rid-1", "2026-12-03T10:00:00.000Z", "/api/x", fields,
                             NULL, NULL, NULL};
    struct rendered out;
    if (render_reply(a, rep, &ctx, &out) != 0)
        return NULL;
    char buf[8192];
    size_t o = 0;
    for (int i = 0; i < out.n; i++) {
        if (o + out.len[i] >= sizeof(buf))
            return NULL;
        memcpy(buf + o, out.part[i], out.len[i]);
        o += out.len[i];
    }
    if (o != out.total)
        return NULL;
    struct json_object *v = NULL;
    if (json_parse_object(buf, o, &v) != 0)
        return NULL;
    return arena_json(a, v);
}

static struct json_object *ut_get(struct json_object *o, const char *path)
{
    char key[64];
    while (o != NULL && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        if (!json_object_object_get_ex(o, key, &o))
            return NULL;
        path += n + (path[n] == '.');
    }
    return o;
}

static const char *ut_str(struct json_object *o, const char *path)
{
    struct json_object *v = ut_get(o, path);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static long long ut_int(struct json_object *o, const char *path)
{
    struct json_object *v = ut_get(o, path);
    return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -999;
}

static struct json_object *ut_dept(struct arena *a)
{
    struct json_object *d = arena_json(a, json_object_new_object());
    json_set_str(d, "id", "dept_1");
    json_set_str(d, "phone_number", "+15551230000");
    json_set_str(d, "description", NULL);
    return d;
}

static void one_record(void)
{
    struct arena *a = arena_create(4096);
    struct reply rep = {.status = 200, .key = "department", .data = ut_dept(a)};
    struct json_object *t = ut_render(a, &rep, FAM_TRANSFER, NULL);
    CHECK(t != NULL && json_object_get_boolean(ut_get(t, "success")));
    CHECK_EQ_STR(ut_str(t, "department.id"), "dept_1");
    CHECK(ut_get(t, "data") == NULL);
    struct json_object *c = ut_render(a, &rep, FAM_CALLCENTER, NULL);
    CHECK_EQ_STR(ut_str(c, "data.id"), "dept_1");
    CHECK(ut_get(c, "department") == NULL && ut_get(c, "meta") == NULL);
    CHECK_EQ_STR(ut_str(c, "request_id"), "rid-1");
    CHECK_EQ_STR(ut_str(c, "timestamp"), "2026-12-03T10:00:00.000Z");
    struct json_object *k = ut_render(a, &rep, FAM_COLDCALLER, NULL);
    CHECK_EQ_STR(ut_str(k, "data.phoneNumber"), "+15551230000");
    CHECK(ut_get(k, "data.phone_number") == NULL);
    CHECK_EQ_STR(ut_str(k, "message"), "OK");
    struct json_object *d = ut_render(a, &rep, FAM_CALLDOCKER, NULL);
    CHECK_EQ_STR(ut_str(d, "data.phone_number"), "+15551230000");
    /* A shared path: the transfer key beside data; camel names only where coldcaller reads. */
    struct json_object *s = ut_render(a, &rep, FAM_TRANSFER | FAM_COLDCALLER, NULL);
    CHECK_EQ_STR(ut_str(s, "department.phone_number"), "+15551230000");
    CHECK(ut_get(s, "department.phoneNumber") == NULL);
    CHECK_EQ_STR(ut_str(s, "data.phoneNumber"), "+15551230000");
    CHECK_EQ_STR(ut_str(s, "data.phone_number"), "+15551230000");
    arena_destroy(a);
}

static void members_on_top(void)
{
    struct arena *a = arena_create(4096);
    struct json_object *o = arena_json(a, json_object_new_object());
    json_set_str(o, "access_token", "t");
    struct reply rep = {.status = 200, .data = o};
    struct json_object *t = ut_render(a, &rep, FAM_TRANSFER, NULL);
    CHECK_EQ_STR(ut_str(t, "access_token"), "t");
    struct json_object *s = ut_render(a, &rep, FAM_TRANSFER | FAM_CALLDOCKER | FAM_COLDCALLER,
                                      NULL);
    CHECK_EQ_STR(ut_str(s, "access_token"), "t");
    CHECK_EQ_STR(ut_str(s, "data.access_token"), "t");
    CHECK_EQ_STR(ut_str(s, "data.accessToken"), "t");
    /* An empty object and a message: {"success":true,"message":…}. */
    struct json_object *m = json_object_new_object();
    json_set_str(m, "message", "Signed out");
    struct reply msg = {.status = 200, .data = arena_json(a, json_object_new_object()),
                        .extra = arena_json(a, m)};
    struct json_object *tm = ut_render(a, &msg, FAM_TRANSFER, NULL);
    CHECK_EQ_STR(ut_str(tm, "message"), "Signed out");
    CHECK_EQ_INT(json_object_object_length(tm), 2);
    arena_destroy(a);
}

static void list_pages(void)
{
    struct arena *a = arena_create(4096);
    static const char items[] = "[{\"id\":\"a\"},{\"id\":\"b\"}]";
    struct reply rep = {.status = 200, .key = "departments", .data_text = items,
                        .data_len = sizeof(items) - 1, .is_list = true, .page = 2,
                        .limit = 2, .total = 5};
    struct json_object *t = ut_render(a, &rep, FAM_TRANSFER, NULL);
    CHECK_EQ_INT(json_object_array_length(ut_get(t, "departments")), 2);
    CHECK_EQ_INT(ut_int(t, "total"), 5);
    CHECK_EQ_INT(ut_int(t, "pagination.total_pages"), 3);
    CHECK(ut_get(t, "pagination.pages") == NULL);
    struct json_object *c = ut_render(a, &rep, FAM_CALLCENTER, NULL);
    CHECK_EQ_INT(ut_int(c, "meta.page"), 2);
    CHECK_EQ_INT(ut_int(c, "meta.page_size"), 2);
    CHECK_EQ_INT(ut_int(c, "meta.total_pages"), 3);
    CHECK_EQ_INT(ut_int(c, "meta.total_count"), 5);
    CHECK(json_object_is_type(ut_get(c, "data"), json_type_array));
    struct json_object *d = ut_render(a, &rep, FAM_CALLDOCKER, NULL);
    CHECK_EQ_INT(ut_int(d, "pagination.pages"), 3);
    struct json_object *k = ut_render(a, &rep, FAM_COLDCALLER, NULL);
    CHECK_EQ_INT(ut_int(k, "pagination.totalPages"), 3);
    CHECK(json_object_get_boolean(ut_get(k, "pagination.hasNext")));
    CHECK(json_object_get_boolean(ut_get(k, "pagination.hasPrev")));
    /* A keyset page: no page number or totals. */
    rep.by_cursor = true;
    rep.has_more = true;
    struct json_object *kc = ut_render(a, &rep, FAM_TRANSFER, NULL);
    CHECK(ut_get(kc, "pagination") != NULL && ut_get(kc, "pagination.page") == NULL);
    CHECK(json_object_get_boolean(ut_get(kc, "pagination.has_more")));
    arena_destroy(a);
}

static void errors(void)
{
    struct arena *a = arena_create(4096);
    struct reply rep = {.status = 404, .is_error = true, .code = "not_found",
                        .message = "Department not found"};
    struct json_object *t = ut_render(a, &rep, FAM_TRANSFER, NULL);
    CHECK(!json_object_get_boolean(ut_get(t, "success")));
    CHECK_EQ_STR(ut_str(t, "error"), "Department not found");
    CHECK_EQ_STR(ut_str(t, "code"), "not_found");
    CHECK_EQ_STR(ut_str(t, "request_id"), "rid-1");
    struct json_object *c = ut_render(a, &rep, FAM_CALLCENTER, NULL);
    CHECK_EQ_STR(ut_str(c, "error.code"), "NOT_FOUND");
    CHECK_EQ_STR(ut_str(c, "error.message"), "Department not found");
    CHECK(ut_str(c, "timestamp") != NULL);
    struct json_object *d = ut_render(a, &rep, FAM_CALLDOCKER, NULL);
    CHECK_EQ_STR(ut_str(d, "message"), "Department not found");
    struct json_object *k = ut_render(a, &rep, FAM_COLDCALLER, NULL);
    CHECK_EQ_STR(ut_str(k, "message"), "Department not found");
    CHECK_EQ_STR(ut_str(k, "error.message"), "Department not found");
    CHECK_EQ_INT(ut_int(k, "error.status"), 404);
    /* An unknown route, worded coldcaller's way. */
    rep.no_route = true;
    k = ut_render(a, &rep, FAM_COLDCALLER, NULL);
    CHECK_EQ_STR(ut_str(k, "message"), "Route /api/x not found");
    /* A status without a callcenter name keeps ours, in capitals. */
    struct reply lim = {.status = 429, .is_error = true, .code = "too_many_attempts",
                        .message = "Wait"};
    CHECK_EQ_STR(ut_str(ut_render(a, &lim, FAM_CALLCENTER, NULL), "error.code"),
                 "TOO_MANY_ATTEMPTS");
    arena_destroy(a);
}

static void validation(void)
{
    struct arena *a = arena_create(4096);
    struct json_object *fields = arena_json(a, json_object_new_object());
    json_set_str(fields, "name", "is required");
    struct reply rep = {.status = 422, .is_error = true, .code = "validation_failed",
                        .message = "Validation failed: name is required"};
    struct json_object *t = ut_render(a, &rep, FAM_TRANSFER, fields);
    CHECK_EQ_STR(ut_str(t, "fields.name"), "is required");
    struct json_object *c = ut_render(a, &rep, FAM_CALLCENTER, fields);
    CHECK_EQ_STR(ut_str(c, "error.code"), "VALIDATION_ERROR");
    CHECK_EQ_STR(ut_str(c, "error.details.name"), "is required");
    struct json_object *k = ut_render(a, &rep, FAM_COLDCALLER, fields);
    struct json_object *det = ut_get(k, "error.details");
    CHECK(det != NULL && json_object_array_length(det) == 1);
    if (det != NULL && json_object_array_length(det) == 1) {
        struct json_object *d0 = json_object_array_get_idx(det, 0);
        CHECK_EQ_STR(ut_str(d0, "field"), "name");
        CHECK_EQ_STR(ut_str(d0, "code"), "VALIDATION_ERROR");
    }
    arena_destroy(a);
}

static void camel(void)
{
    static const char text[] =
        "{\"lead_id\":1,\"a_b_c\":{\"x_y\":[{\"p_q\":2}]},\"_k\":3,\"plain\":4}";
    struct json_object *v = NULL;
    CHECK_EQ_INT(json_parse_object(text, sizeof(text) - 1, &v), 0);
    struct json_object *c = render_camel(v, false);
    CHECK_EQ_INT(ut_int(c, "leadId"), 1);
    struct json_object *arr = ut_get(c, "aBC.xY");
    CHECK(arr != NULL && json_object_array_length(arr) == 1);
    if (arr != NULL)
        CHECK_EQ_INT(ut_int(json_object_array_get_idx(arr, 0), "pQ"), 2);
    CHECK_EQ_INT(ut_int(c, "_k"), 3);
    CHECK_EQ_INT(ut_int(c, "plain"), 4);
    CHECK(ut_get(c, "lead_id") == NULL);
    struct json_object *both = render_camel(v, true);
    CHECK_EQ_INT(ut_int(both, "leadId"), 1);
    CHECK_EQ_INT(ut_int(both, "lead_id"), 1);
    json_object_put(both);
    json_object_put(c);
    json_object_put(v);
}

static void families_of_paths(void)
{
    CHECK_EQ_INT(reply_families("/api/v1/departments", FAM_TRANSFER), FAM_CALLCENTER);
    CHECK_EQ_INT(reply_families("/api/v1", FAM_TRANSFER), FAM_CALLCENTER);
    CHECK_EQ_INT(reply_families("/api/v1x", FAM_TRANSFER), FAM_TRANSFER);
    CHECK_EQ_INT(reply_families("/api/departments", 0), FAM_TRANSFER);
    CHECK_EQ_INT(reply_families("/api/calls", FAM_TRANSFER | FAM_COLDCALLER),
                 FAM_TRANSFER | FAM_COLDCALLER);
}

const struct ut_case ut_render_cases[] = {
    {"one_record", one_record},     {"members_on_top", members_on_top},
    {"list_pages", list_pages},     {"errors", errors},
    {"validation", validation},     {"camel", camel},
    {"families_of_paths", families_of_paths},
    {NULL, NULL},
};
