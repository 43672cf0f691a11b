#ifndef SB_CRUD_H
#define SB_CRUD_H
/*
 * The generic writes of a declared resource (resource.h). A route declares its resource
 * (`.resource = &dids`) and points at crud_create, crud_update, crud_delete, crud_get or
 * crud_list; the resource's `writes` declares what is its own:
 *
 *   create: the body read against res->fields (422), prepare, a new id (res->id_prefix),
 *           then in one transaction (txn.h): the declared references (422), check, the
 *           INSERT, the audit "<entity>.create" with the body, written; answers the record,
 *           201.
 *   update: the body (422), prepare; in the transaction: the row locked (404), the
 *           references the body sets, check, the UPDATE of the sent columns, the audit
 *           "<entity>.update", written; answers the record, 200.
 *   delete: prepare; in the transaction: the row locked (404, also when soft-deleted
 *           already), check, the DELETE (or soft delete), the audit "<entity>.delete" with
 *           the declared columns of the old row, written; answers the `deleted` message (and
 *           the record if asked).
 *
 * The hooks' order inside the transaction is part of the contract: whatever a hook reads
 * was locked before it (the row, the references), and events written by `written` are in
 * the same commit as the write they tell of.
 *
 * A failed write answers the declared 409 texts for a duplicate key and for a row that is
 * still referenced; other failures as txn_reply() does. Idempotency-Key is txn_run's
 * (ROUTE_IDEMPOTENT on the route).
 */
#include <stdbool.h>

#include "fields.h"
#include "resource.h"
#include "router.h"

struct arena;
struct db_result;
struct json_object;
struct request;

enum crud_op { CRUD_CREATE, CRUD_UPDATE, CRUD_DELETE };

/* One write as the hooks see it; everything in it lives in the request arena. */
struct crud_write {
    const struct resource *res;
    enum crud_op op;
    const char *id;
    struct field_value *v;      /* res->nfields values as read (NULL on delete) */
    struct json_object *body;   /* the body as sent (NULL on delete) */
    struct db_result *old;      /* update, delete: the locked row (from check on) */
    /* The audit details: the body's text on create and update, which prepare may replace
     * (NULL: none); on delete the declared columns of the old row. */
    const char *details;
    void *data;                 /* the module's own, set by prepare (a password hash…) */
    struct json_object *record; /* a hard delete that answers the record: it, before */
};

/*
 * A field holding the id of another record of the tenant (agents.department_id). When the
 * field is sent with a value, `sql` (its `?`s: the id, then the caller's tenant) must find
 * that record; it also locks it until the commit (FOR UPDATE or LOCK IN SHARE MODE), so it
 * cannot go away before the write lands. Else a 422 names the field with `why`.
 */
struct crud_ref {
    size_t field; /* index in res->fields */
    const char *sql;
    const char *why;
};
/* In a resource_writes initializer: its references, counted. */
#define CRUD_REFS(defs) .refs = (defs), .nrefs = sizeof(defs) / sizeof((defs)[0])

/*
 * What a resource declares about its writes. Every hook is optional. prepare runs before
 * the transaction (defaults, cross-field 422s, refusals that need no row): 0, or -1 once it
 * answered. check, write and written run inside it and return DB_OK, TXN_ANSWERED (after
 * txn_fail() or a 422), or a db_rc; a retried transaction runs them again.
 */
struct resource_writes {
    int (*prepare)(struct request *r, struct crud_write *w);
    const struct crud_ref *refs; /* checked first inside the transaction (create, update) */
    size_t nrefs;
    /* Before the write: references exist, business rules (w->old on update and delete). */
    int (*check)(struct request *r, struct crud_write *w);
    /* Replaces the INSERT/UPDATE/DELETE of the declared columns (crud_write_columns()) when
     * the resource writes more than its table (a user's role row, a call's state). */
    int (*write)(struct request *r, struct crud_write *w);
    /* After the write and its audit: events, post-commit hooks (txn_after_commit()). */
    int (*written)(struct request *r, struct crud_write *w);
    const char *duplicate;  /* 409 text for DB_DUPLICATE (NULL: the generic one) */
    const char *referenced; /* 409 text for DB_FOREIGN_KEY (NULL: the generic one) */
    /* The 409 text of a duplicate when it depends on which key (after the rollback). */
    const char *(*duplicate_of)(struct request *r, const struct crud_write *w);
    const char *deleted;                /* the delete's message */
    const char *const *delete_details;  /* old-row columns kept in the delete's audit */
    bool delete_answers_record;         /* the delete's answer carries the record too */
};

/* Route handlers; the resource is r->match.route->resource. */
int crud_create(struct request *r);
int crud_update(struct request *r);
int crud_delete(struct request *r);
int crud_get(struct request *r);
int crud_list(struct request *r);

/*
 * The standard routes of a resource, declared here once: a module's table then shows only
 * what is its own, and what the unit test asks of a generic route (its resource, its body,
 * its flags) holds by construction.
 *
 *   CRUD_ROUTES(path, res, body, read, write, fam, names) is, in this order:
 *     GET    path       crud_list    read    "List agents"        ROUTE_LIST
 *     POST   path       crud_create  write   "Create an agent"    ROUTE_IDEMPOTENT
 *     GET    path/:id   crud_get     read    "One agent"
 *     PUT    path/:id   crud_update  write   "Change an agent"
 *     DELETE path/:id   crud_delete  write   "Delete an agent"
 *   for the client families fam, of the resource res (&agents); create and update read
 *   body, the resource's field_def array.
 *   CRUD_RECORD_ROUTES(…): the same without the list, for a module that lists its own way.
 *   CRUD_LIST_ROUTE … CRUD_DELETE_ROUTE(path, res, [body,] roles, fam, names): one of them,
 *   path as served, for a module that has only some or keeps its own routes between them.
 */
/* names: the answers' keys in the transfer dialect (the resource's `one` and `many`), which
 * are also the nouns of the summaries, after their article: CRUD_NAMES("an", "agent",
 * "agents"). */
#define CRUD_NAMES(a, one, many) (one, many, a, one, many)
/* Where the summaries say other words than the keys:
 * CRUD_NAMES_AS("did", "dids", "a", "phone number", "phone numbers"). */
#define CRUD_NAMES_AS(one, many, a, noun, nouns) (one, many, a, noun, nouns)

#define CRUD_ROUTES(path, res, body, read, write, fam, names)                              \
    CRUD_LIST_ROUTE(path, res, read, fam, names),                                          \
    CRUD_RECORD_ROUTES(path, res, body, read, write, fam, names)
#define CRUD_RECORD_ROUTES(path, res, body, read, write, fam, names)                       \
    CRUD_CREATE_ROUTE(path, res, body, write, fam, names),                                 \
    CRUD_GET_ROUTE(path "/:id", res, read, fam, names),                                    \
    CRUD_UPDATE_ROUTE(path "/:id", res, body, write, fam, names),                          \
    CRUD_DELETE_ROUTE(path "/:id", res, write, fam, names)

#define CRUD_LIST_ROUTE(path, res, roles, fam, names)                                      \
    ROUTE("GET", path, crud_list, roles, fam, .summary = "List " CRUD_NOUNS_ names,        \
          .key = CRUD_KEYS_ names, .flags = ROUTE_LIST, .resource = (res))
#define CRUD_CREATE_ROUTE(path, res, body, roles, fam, names)                              \
    ROUTE("POST", path, crud_create, roles, fam, .summary = "Create " CRUD_A_NOUN_ names,  \
          ROUTE_BODY(body), .key = CRUD_KEY_ names, .flags = ROUTE_IDEMPOTENT,             \
          .resource = (res))
#define CRUD_GET_ROUTE(path, res, roles, fam, names)                                       \
    ROUTE("GET", path, crud_get, roles, fam, .summary = "One " CRUD_NOUN_ names,           \
          .key = CRUD_KEY_ names, .resource = (res))
#define CRUD_UPDATE_ROUTE(path, res, body, roles, fam, names)                              \
    ROUTE("PUT", path, crud_update, roles, fam, .summary = "Change " CRUD_A_NOUN_ names,   \
          ROUTE_BODY(body), .key = CRUD_KEY_ names, .resource = (res))
#define CRUD_DELETE_ROUTE(path, res, roles, fam, names)                                    \
    ROUTE("DELETE", path, crud_delete, roles, fam,                                         \
          .summary = "Delete " CRUD_A_NOUN_ names, .resource = (res))

/* The parts of a CRUD_NAMES, applied to it: `CRUD_KEY_ names`. */
#define CRUD_KEY_(one, many, a, noun, nouns) one
#define CRUD_KEYS_(one, many, a, noun, nouns) many
#define CRUD_NOUN_(one, many, a, noun, nouns) noun
#define CRUD_NOUNS_(one, many, a, noun, nouns) nouns
#define CRUD_A_NOUN_(one, many, a, noun, nouns) a " " noun

/* Inside a write's transaction: the crud_ref check of one id (sql as there). DB_OK,
 * TXN_ANSWERED (the 422 answered), or a db_rc. */
int crud_refer(struct request *r, const char *sql, const char *id, const char *field,
               const char *why);
/* The generic write of w: resource_insert, resource_update or resource_remove. */
int crud_write_columns(struct request *r, struct crud_write *w);
/*
 * The handler's return for a txn_run() outcome of a write of res by a route of the module's
 * own: the declared 409 texts (duplicate, referenced), else txn_reply(). 0 or -1.
 */
int crud_reply(struct request *r, const struct resource *res, int rc);

/* Pure parts, for the tests. */
/* "create", "update", "delete". */
const char *crud_action(enum crud_op op);
/* The declared 409 text for rc (DB_DUPLICATE, DB_FOREIGN_KEY) of res, NULL when none. */
const char *crud_conflict_text(const struct resource *res, int rc);
/* The delete's audit details: *out gets the JSON text of cols (NULL-terminated) of row 0
 * of old, or NULL when cols is NULL. 0, or -1 when out of memory. */
int crud_row_details(struct arena *a, const char *const *cols, const struct db_result *old,
                     const char **out);

#endif
