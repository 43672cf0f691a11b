#ifndef SB_OPENAPI_H
#define SB_OPENAPI_H
/*
 * The OpenAPI 3.1 description of the route table, built from the routes' declarations
 * (router.h: method, pattern, roles, families, summary, body fields, answer name, flags,
 * resource). Served at GET /api/openapi.json, printed by `switchboard-admin openapi` and
 * written to $(BUILD)/openapi.json by make; docs/api.md says how the dialects appear in it.
 *
 * Every route is one operation under its own path; every route under /api/ is also one
 * under /api/v1/ (the fold of httputil.c's path_fold_v1), answered in the callcenter
 * dialect. A path several client families call answers a body that every family's schema
 * accepts at once, so its success schema is the allOf of theirs.
 *
 * Pure: no request, no database. New json-c objects belong to the caller (json_object_put);
 * NULL means out of memory.
 */
#include <stddef.h>

struct json_object;
struct field_def;
struct route;

/* The description's own version (info.version); the OpenAPI version is 3.1.0. */
#define OPENAPI_INFO_VERSION "1.0.0"

/* The whole document for routes[0..n). */
struct json_object *openapi_document(const struct route *routes, size_t n);
/* The same as compact JSON text, malloc'd (the caller frees it); *len gets its length. */
char *openapi_text(const struct route *routes, size_t n, size_t *len);

/* "/api/users/:id" -> "/api/users/{id}" into out. 0, or -1 when it does not fit. */
int openapi_path(const char *pattern, char *out, size_t size);
/* "GET" and "/api/users/{id}" -> "get_api_users_by_id": unique while paths are. 0 or -1. */
int openapi_operation_id(const char *method, const char *path, char *out, size_t size);
/* The JSON Schema of one declared body field: type (with "null" when nullable), bounds,
 * enum (our values and the clients' words), format or pattern, readOnly. */
struct json_object *openapi_field_schema(const struct field_def *d);

/* ---- openapi_input.c: what a client sends -------------------------------------------- */

/* The body of route as its client families send it (aliases, coldcaller's camelCase). */
struct json_object *openapi_request_body(const struct route *route, unsigned families);
/* The path's `:name` parameters; the query (list) and header (Idempotency-Key) ones. */
struct json_object *openapi_path_params(const char *pattern);
struct json_object *openapi_parameters(const struct route *route);
/* {"application/json": {"schema": schema}} (takes schema). */
struct json_object *openapi_json_content(struct json_object *schema);
/* {"<media>": {"schema": {"type":"string","format":"binary"}}}: a raw body or file. */
struct json_object *openapi_binary_content(const char *media);
/* arr under key when it has items; an empty one is put (OpenAPI wants none there). */
int openapi_put_nonempty(struct json_object *obj, const char *key, struct json_object *arr);

/* ---- openapi_dialects.c: the answers ------------------------------------------------ */

/* components.schemas: the envelopes of each dialect and their errors. */
struct json_object *openapi_components(void);
/* An operation's `responses` for route answered to the families `families` (reply.h). */
struct json_object *openapi_responses(const struct route *route, unsigned families);

#endif
