/* GET /api/openapi.json: the OpenAPI description of the route table (core/openapi.c). */
#include <stdlib.h>

#include "openapi.h"
#include "request.h"
#include "routes.h"

/*
 * Built on a worker's first request and kept for its life: the table cannot change while
 * the process runs, and the text goes out as is (reply_raw), with no copy per request.
 */
static int openapi_get(struct request *r)
{
    static char *text;
    static size_t len;
    if (text == NULL)
        text = openapi_text(route_table, route_table_len, &len);
    if (text == NULL)
        return request_oom(r);
    return reply_raw(r, 200, text, len);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/openapi.json", openapi_get, ROLES_PUBLIC, FAM_PLAIN,
          .summary = "This OpenAPI 3.1 description of every route"),
};

ROUTE_GROUP(openapi_routes, routes);
