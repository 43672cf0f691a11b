/*
 * Rule 5 of an IVR graph (docs/ivr.md): what its nodes name exists in the caller's tenant,
 * checked inside the save's transaction and locked (shared) until its commit. A route
 * node's target is checked as a phone number's route target is (did_route.h: a voicemail
 * target is a user or a box `vmb_…` of the tenant, another mailbox name kept as given); a
 * schedule node's schedule and every content_id too. A refusal
 * is a 422 naming the node: field graph.nodes[i].<member>, its text after "node 'id':".
 */
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "did_route.h"
#include "ivr.h"
#include "request.h"
#include "txn.h"

static int content_check(struct request *r, const struct ivr_node *n, size_t i,
                         const char *subject)
{
    const char *member = n->type == IVR_SAY || n->type == IVR_PLAY ? "content_id"
                                                                    : "prompt.content_id";
    const char *field = arena_printf(r->arena, "graph.nodes[%zu].%s", i, member);
    const char *why = arena_printf(r->arena, "%s must be IVR content of this tenant", subject);
    if (field == NULL || why == NULL)
        return DB_ERROR;
    return crud_refer(r,
                      "SELECT id FROM ivr_content WHERE id = ? AND tenant_id = ?"
                      " LOCK IN SHARE MODE",
                      n->prompt.content_id, field, why);
}

static int node_check(struct request *r, const struct ivr_node *n, size_t i)
{
    const char *subject = arena_printf(r->arena, "node '%s':", n->id);
    if (subject == NULL)
        return DB_ERROR;
    int rc = DB_OK;
    if (n->prompt.content_id != NULL)
        rc = content_check(r, n, i, subject);
    if (rc == DB_OK && n->type == IVR_SCHEDULE) {
        const char *field = arena_printf(r->arena, "graph.nodes[%zu].schedule_id", i);
        const char *why = arena_printf(r->arena, "%s must be a schedule of this tenant",
                                       subject);
        if (field == NULL || why == NULL)
            return DB_ERROR;
        rc = crud_refer(r,
                        "SELECT id FROM schedules WHERE id = ? AND tenant_id = ?"
                        " LOCK IN SHARE MODE",
                        n->schedule_id, field, why);
    }
    if (rc == DB_OK && n->type == IVR_ROUTE) {
        const char *field = arena_printf(r->arena, "graph.nodes[%zu].target", i);
        const char *target = n->target;
        if (field == NULL)
            return DB_ERROR;
        rc = did_target_check_for(r, n->target_type, &target, field, false, subject);
    }
    return rc;
}

int ivr_targets_check(struct request *r, const struct ivr_graph *g)
{
    int rc = DB_OK;
    for (size_t i = 0; i < g->n && rc == DB_OK; i++)
        rc = node_check(r, &g->nodes[i], i);
    return rc;
}
