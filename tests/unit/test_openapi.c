/*
 * The OpenAPI description (src/core/openapi*.c): the pure pieces (paths, operation ids,
 * field schemas), a body of a made-up route, and the document of the real route table
 * (every route there once, each /api/ route once more under /api/v1, nothing else).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "fields.h"
#include "openapi.h"
#include "reply.h"
#include "router.h"
#include "routes.h"
#include "unit.h"

/* o[k1][k2]… for object keys, NULL-terminated; NULL when one is missing. */
static struct json_object *dig(struct json_object *o, ...)
{
    va_list ap;
    va_start(ap, o);
    for (const char *k = va_arg(ap, const char *); k != NULL && o != NULL;
         k = va_arg(ap, const char *))
        if (!json_object_object_get_ex(o, k, &o))
            o = NULL;
    va_end(ap);
    return o;
}

static const char *text_of(struct json_object *o)
{
    return o != NULL ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE)
                     : NULL;
}

static void path_conversion(void)
{
    char out[64];
    CHECK_EQ_INT(openapi_path("/api/users/:id", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "/api/users/{id}");
    CHECK_EQ_INT(openapi_path("/api/departments/:id/agents", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "/api/departments/{id}/agents");
    CHECK_EQ_INT(openapi_path("/api/a/:x/b/:y", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "/api/a/{x}/b/{y}");
    CHECK_EQ_INT(openapi_path("/health", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "/health");
    /* A ':' inside a segment is no parameter. */
    CHECK_EQ_INT(openapi_path("/api/a:b", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "/api/a:b");
    /* Too long: refused, never cut. */
    CHECK_EQ_INT(openapi_path("/api/users/:id", out, 15), -1);
    CHECK_EQ_INT(openapi_path("/api/users/:id", out, 16), 0);
}

static void operation_ids(void)
{
    char out[64];
    CHECK_EQ_INT(openapi_operation_id("GET", "/api/users/{id}", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "get_api_users_by_id");
    CHECK_EQ_INT(openapi_operation_id("POST", "/api/auth/change-password", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "post_api_auth_change_password");
    CHECK_EQ_INT(openapi_operation_id("GET", "/api/openapi.json", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "get_api_openapi_json");
    CHECK_EQ_INT(openapi_operation_id("PUT", "/api/v1/calls/transfers/{id}", out, sizeof(out)),
                 0);
    CHECK_EQ_STR(out, "put_api_v1_calls_transfers_by_id");
    CHECK_EQ_INT(openapi_operation_id("GET", "/api/users/{id}", out, 10), -1);
}

static const char *const colours[] = {"red", "blue", NULL};
/* "red" for "red" must not list red twice. */
static const struct field_word colour_words[] = {
    {"crimson", "red"}, {"red", "red"}, {NULL, NULL}};

static void field_schemas(void)
{
    static const struct field_def defs[] = {
        {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
        {"colour", FT_ENUM, F_NULLABLE, 0, 0, colours, colour_words, NULL},
        {"phone", FT_PHONE, 0, 0, 0, NULL, NULL, NULL},
        {"email", FT_EMAIL, F_NULLABLE, 0, 0, NULL, NULL, NULL},
        {"priority", FT_INT, 0, 1, 10, NULL, NULL, NULL},
        {"calls", FT_INT, F_READONLY, 0, 0, NULL, NULL, NULL},
        {"hours", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
        {"minutes", FT_NUMBER, 0, 0, 1000, NULL, NULL, NULL},
    };
    static const char *const want[] = {
        "{\"type\":\"string\",\"maxLength\":255,\"minLength\":1,"
        "\"pattern\":\"[^\\\\t\\\\n\\\\v\\\\f\\\\r ]\"}",
        "{\"type\":[\"string\",\"null\"],\"enum\":[\"red\",\"blue\",\"crimson\",null]}",
        NULL, /* phone: checked below */
        "{\"type\":[\"string\",\"null\"],\"format\":\"email\",\"maxLength\":254}",
        "{\"type\":\"integer\",\"minimum\":1,\"maximum\":10}",
        "{\"type\":\"integer\",\"readOnly\":true,"
        "\"description\":\"Read-only: sending it answers 422\"}",
        "{\"type\":[\"object\",\"null\"]}",
        "{\"type\":\"number\",\"minimum\":0,\"maximum\":1000}",
    };
    for (size_t i = 0; i < FIELDS_N(defs); i++) {
        struct json_object *s = openapi_field_schema(&defs[i]);
        REQUIRE(s != NULL);
        if (want[i] != NULL)
            CHECK_EQ_STR(text_of(s), want[i]);
        else
            CHECK_EQ_STR(text_of(dig(s, "pattern", NULL)), "\"^\\\\+[1-9][0-9]{7,14}$\"");
        json_object_put(s);
    }
}

static int ut_dummy_handler(struct request *r)
{
    (void)r;
    return 0;
}

static const struct field_def thing_fields[] = {
    {"display_name", FT_TEXT, F_REQUIRED, 1, 100, NULL, NULL, NULL},
    {"department_id", FT_ID, F_REQUIRED, 0, 0, NULL, NULL, "target_department"},
    {"note", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    {"status", FT_ENUM, F_ALWAYS, 0, 0, colours, NULL, NULL},
    {"count", FT_INT, F_READONLY, 0, 0, NULL, NULL, NULL},
};

/* What a client must send: create vs update, aliases, coldcaller's camelCase. */
static void request_bodies(void)
{
    static const struct route post =
        ROUTE("POST", "/api/things", ut_dummy_handler, ROLES_ANY, FAM_TRANSFER,
              ROUTE_BODY(thing_fields));
    static const struct route put =
        ROUTE("PUT", "/api/things/:id", ut_dummy_handler, ROLES_ANY, FAM_COLDCALLER,
              ROUTE_BODY(thing_fields));
    struct json_object *b = openapi_request_body(&post, FAM_TRANSFER);
    struct json_object *s = dig(b, "content", "application/json", "schema", NULL);
    REQUIRE(s != NULL);
    CHECK_EQ_STR(text_of(dig(b, "required", NULL)), "true");
    CHECK_EQ_STR(text_of(dig(s, "required", NULL)), "[\"display_name\",\"status\"]");
    CHECK_EQ_STR(text_of(dig(s, "allOf", NULL)),
                 "[{\"anyOf\":[{\"required\":[\"department_id\"]},"
                 "{\"required\":[\"target_department\"]}]}]");
    CHECK(dig(s, "properties", "target_department", NULL) != NULL);
    CHECK(dig(s, "properties", "displayName", NULL) == NULL);
    CHECK_EQ_STR(text_of(dig(s, "properties", "count", "readOnly", NULL)), "true");
    json_object_put(b);

    /* Coldcaller may send the camelCase name: any of the three for department_id. */
    b = openapi_request_body(&post, FAM_COLDCALLER);
    s = dig(b, "content", "application/json", "schema", NULL);
    REQUIRE(s != NULL);
    CHECK_EQ_STR(text_of(dig(s, "required", NULL)), "[\"status\"]");
    CHECK_EQ_STR(text_of(dig(s, "allOf", NULL)),
                 "[{\"anyOf\":[{\"required\":[\"display_name\"]},"
                 "{\"required\":[\"displayName\"]}]},"
                 "{\"anyOf\":[{\"required\":[\"department_id\"]},"
                 "{\"required\":[\"target_department\"]},"
                 "{\"required\":[\"departmentId\"]}]}]");
    json_object_put(b);

    /* An update requires only F_ALWAYS fields. */
    b = openapi_request_body(&put, FAM_COLDCALLER);
    s = dig(b, "content", "application/json", "schema", NULL);
    REQUIRE(s != NULL);
    CHECK_EQ_STR(text_of(dig(s, "required", NULL)), "[\"status\"]");
    CHECK_NULL(dig(s, "allOf", NULL));
    CHECK(dig(s, "properties", "displayName", NULL) != NULL);
    json_object_put(b);
}

/* The operation of a (method, path) in the document, NULL when absent. */
static struct json_object *op_of(struct json_object *doc, const char *method, const char *path)
{
    char m[8];
    size_t i = 0;
    for (; method[i] != '\0' && i + 1 < sizeof(m); i++)
        m[i] = (char)(method[i] - 'A' + 'a');
    m[i] = '\0';
    return dig(doc, "paths", path, m, NULL);
}

static size_t count_operations(struct json_object *doc)
{
    size_t n = 0;
    json_object_object_foreach(dig(doc, "paths", NULL), path, item)
    {
        (void)path;
        json_object_object_foreach(item, key, val)
        {
            (void)val;
            n += strcmp(key, "parameters") != 0;
        }
    }
    return n;
}

/* Every route once as declared and, under /api/, once more under /api/v1; nothing else. */
static void document_is_the_table(void)
{
    struct json_object *doc = openapi_document(route_table, route_table_len);
    REQUIRE(doc != NULL);
    CHECK_EQ_STR(text_of(dig(doc, "openapi", NULL)), "\"3.1.0\"");
    CHECK_EQ_STR(text_of(dig(doc, "info", "title", NULL)), "\"Switchboard\"");
    size_t expected = 0;
    for (size_t i = 0; i < route_table_len; i++) {
        const struct route *rt = &route_table[i];
        char path[256], v1[264];
        REQUIRE(openapi_path(rt->pattern, path, sizeof(path)) == 0);
        expected++;
        if (op_of(doc, rt->method, path) == NULL)
            ut_fail(__FILE__, __LINE__, "%s %s is not in the document", rt->method, path);
        if (strncmp(path, "/api/", 5) != 0)
            continue;
        expected++;
        snprintf(v1, sizeof(v1), "/api/v1%s", path + 4);
        if (op_of(doc, rt->method, v1) == NULL)
            ut_fail(__FILE__, __LINE__, "%s %s is not in the document", rt->method, v1);
    }
    CHECK_EQ_INT(count_operations(doc), expected);
    json_object_put(doc);
}

static void operation_ids_unique(void)
{
    struct json_object *doc = openapi_document(route_table, route_table_len);
    struct json_object *seen = json_object_new_object();
    REQUIRE(doc != NULL && seen != NULL);
    json_object_object_foreach(dig(doc, "paths", NULL), path, item)
    {
        json_object_object_foreach(item, key, op)
        {
            const char *id = json_object_get_string(dig(op, "operationId", NULL));
            if (strcmp(key, "parameters") == 0)
                continue;
            if (id == NULL || json_object_object_get_ex(seen, id, NULL))
                ut_fail(__FILE__, __LINE__, "%s %s: operationId %s missing or repeated", key,
                        path, id ? id : "(none)");
            else
                json_object_object_add(seen, id, NULL);
        }
    }
    json_object_put(seen);
    json_object_put(doc);
}

/* Roles as security; list parameters from the resource; dialects per path. */
static void operations_say_what_routes_declare(void)
{
    struct json_object *doc = openapi_document(route_table, route_table_len);
    REQUIRE(doc != NULL);
    struct json_object *users = op_of(doc, "GET", "/api/users");
    CHECK_EQ_STR(text_of(dig(users, "x-roles", NULL)), "[\"manager\",\"admin\",\"super_admin\"]");
    CHECK_EQ_STR(text_of(dig(users, "security", NULL)), "[{\"bearerAuth\":[]}]");
    const char *params = text_of(dig(users, "parameters", NULL));
    CHECK(params != NULL && strstr(params, "\"name\":\"page_size\"") != NULL);
    CHECK(params != NULL && strstr(params, "\"name\":\"is_active\"") != NULL);
    CHECK(params != NULL && strstr(params, "\"maximum\":200,\"default\":25") != NULL);
    CHECK_EQ_STR(text_of(dig(op_of(doc, "POST", "/api/auth/login"), "security", NULL)), "[]");
    /* A list answered whole takes no page. */
    CHECK_NULL(dig(op_of(doc, "GET", "/api/departments/{id}/agents"), "parameters", NULL));
    CHECK(dig(doc, "paths", "/api/departments/{id}/agents", "parameters", NULL) != NULL);
    /* Creates answer 201 (the transfer, declared 200, does not). */
    CHECK(dig(op_of(doc, "POST", "/api/departments"), "responses", "201", NULL) != NULL);
    CHECK(dig(op_of(doc, "POST", "/api/calls/transfer"), "responses", "200", NULL) != NULL);
    CHECK(dig(op_of(doc, "POST", "/api/auth/login"), "responses", "429", NULL) != NULL);
    const char *v1 = text_of(dig(op_of(doc, "GET", "/api/v1/departments"), "responses", NULL));
    CHECK(v1 != NULL && strstr(v1, "CallcenterList") != NULL && strstr(v1, "Transfer") == NULL);
    const char *shared = text_of(
        dig(op_of(doc, "POST", "/api/auth/login"), "responses", "200", "content",
            "application/json", "schema", "allOf", NULL));
    CHECK(shared != NULL && strstr(shared, "TransferEnvelope") != NULL &&
          strstr(shared, "CalldockerEnvelope") != NULL &&
          strstr(shared, "ColdcallerEnvelope") != NULL);
    json_object_put(doc);
}

/* Every "$ref" names a schema of components.schemas. */
static void refs_resolve_in(struct json_object *v, struct json_object *schemas)
{
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            refs_resolve_in(json_object_array_get_idx(v, i), schemas);
        return;
    }
    if (!json_object_is_type(v, json_type_object))
        return;
    json_object_object_foreach(v, key, val)
    {
        const char *ref = json_object_get_string(val);
        const char *prefix = "#/components/schemas/";
        if (strcmp(key, "$ref") != 0) {
            refs_resolve_in(val, schemas);
        } else if (strncmp(ref, prefix, strlen(prefix)) != 0 ||
                   !json_object_object_get_ex(schemas, ref + strlen(prefix), NULL)) {
            ut_fail(__FILE__, __LINE__, "$ref %s names no schema", ref);
        }
    }
}

static void refs_resolve(void)
{
    struct json_object *doc = openapi_document(route_table, route_table_len);
    REQUIRE(doc != NULL);
    struct json_object *schemas = dig(doc, "components", "schemas", NULL);
    REQUIRE(schemas != NULL);
    CHECK(dig(schemas, "CallcenterError", NULL) != NULL);
    refs_resolve_in(doc, schemas);
    json_object_put(doc);
}

static void text_is_the_document(void)
{
    size_t len = 0;
    char *text = openapi_text(route_table, route_table_len, &len);
    REQUIRE(text != NULL);
    CHECK_EQ_INT(strlen(text), len);
    struct json_object *doc = json_tokener_parse(text);
    CHECK(doc != NULL && dig(doc, "paths", "/api/openapi.json", "get", NULL) != NULL);
    json_object_put(doc);
    free(text);
}

const struct ut_case ut_openapi_cases[] = {
    {"path_conversion", path_conversion},
    {"operation_ids", operation_ids},
    {"field_schemas", field_schemas},
    {"request_bodies", request_bodies},
    {"document_is_the_table", document_is_the_table},
    {"operation_ids_unique", operation_ids_unique},
    {"operations_say_what_routes_declare", operations_say_what_routes_declare},
    {"refs_resolve", refs_resolve},
    {"text_is_the_document", text_is_the_document},
    {NULL, NULL},
};
