/*
 * POST /api/calls/:id/end: the agent's verdict on a dialled call. What an end does is
 * outbound_end_call (src/core/outbound_end.c); this is its body and its answer.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "cdr_store.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "outbound.h"
#include "request.h"
#include "routes.h"
#include "txn.h"

enum { E_OUTCOME, E_DISPOSITION, E_NOTES, E_TAGS, E_OBJECTIONS, E_ACTIONS, E_CALLBACK, E_N };

static const struct field_def end_fields[] = {
    [E_OUTCOME] = {"outcome", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [E_DISPOSITION] = {"disposition", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [E_NOTES] = {"notes", FT_TEXT, F_NULLABLE, 0, 10000, NULL, NULL, NULL},
    [E_TAGS] = {"tags", FT_STRINGS, F_NULLABLE, 0, 50, NULL, NULL, NULL},
    [E_OBJECTIONS] = {"objections", FT_STRINGS, F_NULLABLE, 0, 50, NULL, NULL, NULL},
    [E_ACTIONS] = {"next_actions", FT_STRINGS, F_NULLABLE, 0, 50, NULL, NULL, NULL},
    [E_CALLBACK] = {"callback_at", FT_TEXT, F_NULLABLE, 1, 40, NULL, NULL, NULL},
};

static int end_step(struct request *r, void *arg)
{
    struct outbound_end *e = arg;
    int rc = outbound_end_call(r, e);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "Call not found");
    if (rc == 2)
        return txn_fail(r, 409, "call_ended", "The call has ended already");
    if (rc != DB_OK)
        return rc;
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    if (data == NULL || json_object_object_add(data, "call", json_object_get(e->call)) != 0 ||
        reply_one(r, 200, NULL, data) != 0)
        return DB_ERROR;
    return reply_set(r, "message", json_object_new_string("Call ended")) == 0 ? DB_OK : DB_ERROR;
}

static int call_end(struct request *r)
{
    struct field_value v[E_N];
    if (fields_declared(r, FIELDS_CREATE, v, E_N, NULL) != 0) {
        outbound_cold_names(r);
        return -1;
    }
    struct outbound_end e = {
        .id = request_param(r, "id"),
        .outcome = v[E_OUTCOME].s,
        .disposition = v[E_DISPOSITION].s,
        .notes_sent = v[E_NOTES].sent,
        .notes = v[E_NOTES].s,
        .tags = v[E_TAGS].s,
        .objections = v[E_OBJECTIONS].s,
        .next_actions = v[E_ACTIONS].s,
    };
    bool date_only;
    if (v[E_CALLBACK].s != NULL && cdr_parse_time(v[E_CALLBACK].s, &e.callback_at, &date_only) != 0) {
        request_field_error(r, "callbackAt", "must be a date and time (ISO 8601)");
        return request_check_fields(r);
    }
    return txn_reply(r, txn_run(r, end_step, &e));
}

static const struct route routes[] = {
    ROUTE("POST", "/api/calls/:id/end", call_end, ROLES_ANY, FAM_COLDCALLER,
          .summary = "End a dialled call with its outcome (CDR, lead, analytics)",
          ROUTE_BODY(end_fields)),
};

ROUTE_GROUP(outbound_end_routes, routes);
