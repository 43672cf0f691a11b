#ifndef SB_REPLY_H
#define SB_REPLY_H
/*
 * Answers, built once and rendered in the dialect of the route's client families.
 *
 * A handler says what it answers (reply_one, reply_list, reply_message, reply_error…);
 * render.c writes the body each family can read (../shared/clients.md):
 *
 *   transfer    {"success":true,"<key>":…,"total","pagination":{page,limit,total,
 *               total_pages}}; errors {"success":false,"error":"<text>","code",
 *               "request_id","fields"?}
 *   callcenter  {"success":true,"data":…,"meta":{page,page_size,total_pages,total_count},
 *               "request_id","timestamp"}; errors {"success":false,"error":{"code":
 *               "NOT_FOUND","message","details"?},"request_id","timestamp"}; a text field
 *               without a value is "" (the Go encoder's habit its clients rely on)
 *   calldocker  {"success":true,"message"?,"data":…,"pagination":{page,limit,total,pages}};
 *               errors {"success":false,"message","error"}
 *   coldcaller  {"success":true,"message","data":<camelCase>,"pagination":{page,limit,
 *               total,totalPages,hasNext,hasPrev},"timestamp"}; errors {"success":false,
 *               "message","error":{"message","status","timestamp","details":[{field,message,
 *               value,code,location}]},"code","timestamp"}; a validation failure is a 400
 *
 * A path that several families call answers their union: the transfer key beside `data`,
 * every family's pagination names, `error` as text where a family reads text (with
 * `message` beside it), camelCase copies where coldcaller reads them.
 */
#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct request;

/* The client families of ../shared/routes.tsv, as bits: a route lists its callers. */
enum family {
    FAM_TRANSFER = 1u << 0,
    FAM_CALLCENTER = 1u << 1,
    FAM_CALLDOCKER = 1u << 2,
    FAM_COLDCALLER = 1u << 3,
    /* Not a family: the handler's body goes out exactly as built (/health, /metrics). */
    FAM_PLAIN = 1u << 7,
};

/* What a handler answered; rendered at the end of the request (render.c). */
struct reply {
    int status;
    bool is_error;
    /* success */
    const char *key;           /* the transfer dialect's name; NULL: data's members go on top */
    struct json_object *data;  /* object or array, arena-owned */
    const char *data_text;     /* or data as JSON text (a cached list): sent as is */
    size_t data_len;
    struct json_object *extra; /* more top-level members (message, tokens), arena-owned */
    bool is_list;
    long long page, limit, total;
    bool by_cursor; /* a keyset page: no page number or total, `has_more` instead */
    bool has_more;
    /* error */
    const char *code;    /* machine code, snake_case ("not_found") */
    const char *message; /* for people */
    bool no_route;       /* a 404 for a path no route has (coldcaller words it its way) */
    /* a whole body, sent as is (a replayed answer, the no-op) */
    const char *raw;
    size_t raw_len;
    const char *content_type; /* of raw (reply_text); NULL: JSON */
    /* nginx serves this internal URI instead (X-Accel-Redirect), with content_type and,
     * when set, this Content-Disposition (reply_accel). */
    const char *accel_uri;
    const char *disposition;
};

/* Success with one record (or, key NULL, an object whose members are the answer). */
int reply_one(struct request *r, int status, const char *key, struct json_object *data);
/* A page of a list: items (a JSON array) under key. */
int reply_list(struct request *r, const char *key, struct json_object *items, long long page,
               long long limit, long long total);
/* The same with the items as JSON array text (arena or static), sent without a copy. */
int reply_list_text(struct request *r, const char *key, const char *items, size_t len,
                    long long page, long long limit, long long total);
/* After reply_list: the page was read by cursor; page and total are unknown (null). */
void reply_list_by_cursor(struct request *r, bool has_more);
/* A success whose answer is a message only. */
int reply_message(struct request *r, int status, const char *message);
/* Adds a top-level member to a success answer (takes the reference). 0 or -1. */
int reply_set(struct request *r, const char *name, struct json_object *value);
/* A body sent exactly as given (arena or static). Returns 0. */
int reply_raw(struct request *r, int status, const char *body, size_t len);
/* The same with its own Content-Type ("text/plain; version=0.0.4"), static. Returns 0. */
int reply_text(struct request *r, int status, const char *content_type, const char *body,
               size_t len);
/*
 * nginx answers with the file at uri, an internal location (X-Accel-Redirect), so Range,
 * If-Range and the 206 are its own; content_type and disposition (may be NULL) are sent
 * with it. The strings must live until the request ends (arena or static). Returns 0.
 */
int reply_accel(struct request *r, const char *uri, const char *content_type,
                const char *disposition);

/* The family set a path answers in: everything under /api/v1 is the callcenter's. */
unsigned reply_families(const char *original_path, unsigned route_families);

/* ---- render.c -------------------------------------------------------------------- */

struct arena;

/* The rendered body in pieces (the data text is passed through, not copied). */
struct rendered {
    const char *part[6];
    size_t len[6];
    int n;
    size_t total;
};

struct render_ctx {
    unsigned families;
    const char *request_id;
    const char *timestamp; /* RFC 3339 with milliseconds */
    const char *path;      /* the path as the client sent it (coldcaller's 404 message) */
    struct json_object *fields; /* 422: field -> reason */
    /* What the client sent, for coldcaller's details (value, location); may be NULL. */
    struct json_object *body;
    const char *(*query_value)(void *query_ctx, const char *name);
    void *query_ctx;
};

/* 0, or -1 when out of memory. */
int render_reply(struct arena *a, const struct reply *rep, const struct render_ctx *ctx,
                 struct rendered *out);

/* The callcenter dialect's error code: one per status where its clients know one
 * (404 NOT_FOUND, 422 VALIDATION_ERROR…), else ours in upper case; in the arena. */
const char *render_upper_code(struct arena *a, int status, const char *code);
/* "phone_number" -> "phoneNumber" into buf; NULL when the name has no '_' worth changing
 * (or does not fit). */
char *render_camel_name(const char *s, char *buf, size_t size);
/* A deep copy of v whose object keys are camelCase ("phone_number" -> "phoneNumber");
 * with keep_snake, both names. New reference or NULL. */
struct json_object *render_camel(struct json_object *v, bool keep_snake);

#endif
