#include "dispatch.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "request.h"
#include "routes.h"

/* The families of a path no route has: the ones whose clients test unknown paths (the
 * transfer portal calls only its own routes). */
#define UNROUTED_FAMILIES (FAM_CALLDOCKER | FAM_COLDCALLER)

void dispatch(struct request *r)
{
    r->families = reply_families(r->original_path, UNROUTED_FAMILIES);
    db_json_text_nulls_empty(false);
    if (r->body_too_large) {
        request_error(r, 413, "payload_too_large", "The request body is too large");
        return;
    }
    /* HEAD is GET without a body; nginx drops the body it receives. */
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    enum router_result rr = router_match(route_table, route_table_len, method, r->path, &r->match);
    if (rr == ROUTER_NOT_FOUND) {
        request_error(r, 404, "not_found", "No such route");
        r->reply.no_route = true;
        return;
    }
    if (rr == ROUTER_METHOD_NOT_ALLOWED) {
        snprintf(r->allow, sizeof(r->allow), "%s", r->match.allow);
        char *msg = arena_printf(r->arena, "Method %s is not allowed here; use %s", r->method,
                                 r->match.allow);
        request_error(r, 405, "method_not_allowed", msg ? msg : "Method not allowed");
        return;
    }
    const struct route *route = r->match.route;
    r->families = reply_families(r->original_path, route->families);
    db_json_text_nulls_empty(r->families == FAM_CALLCENTER);
    if (route->roles != ROLES_PUBLIC) {
        if (auth_authenticate(r) != 0)
            return;
        if ((r->auth.role_bit & route->roles) == 0) {
            request_error(r, 403, "forbidden", "Your role may not do this");
            return;
        }
    }
    route->handler(r);
    if (!request_answered(r)) {
        log_error("handler for %s %s produced no answer", route->method, route->pattern);
        request_error(r, 500, "internal_error", "Internal error");
    }
}
