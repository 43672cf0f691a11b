#ifndef SB_DID_ROUTE_H
#define SB_DID_ROUTE_H
/*
 * Where a call to one of the tenant's numbers goes (src/routes/did_route.c): the checks
 * every write of a DID's route makes, and the choice between its route and its
 * after-hours route that the distributor and the Twilio webhook make for each inbound
 * call. Everything is scoped by r->auth.tenant_id: another tenant's number is absent.
 *
 * Route types and their targets:
 *   queue       a queue of the tenant (queues.id), active
 *   department  a department of the tenant, active
 *   agent       an agents record of the tenant (agent_…), or an active user of the tenant
 *               whose role is agent (usr_…): the transfer portal routes to the first, the
 *               callcenter SPA to the second
 *   voicemail   NULL (the tenant's mailbox), a user of the tenant (usr_…: theirs), a
 *               voicemail box of the tenant (vmb_…), or a mailbox name, kept as given
 *   external    a phone number, normalised to E.164
 *   ivr         an IVR flow of the tenant (ivf_…), or an active IVR menu of the tenant
 *   flow        (IVR graphs' route nodes) an IVR flow of the tenant
 */
#include <stdbool.h>
#include <time.h>

struct request;

/*
 * Inside a write's transaction: whether *target is a target of route type `type` for the
 * caller's tenant; what it names is locked (shared) until the commit. An external number
 * is normalised in *target (arena). A NULL target passes unless `required` (then a
 * voicemail route still may go without one). DB_OK, TXN_ANSWERED (a 422 naming field), or
 * a db_rc.
 */
int did_target_check(struct request *r, const char *type, const char **target,
                     const char *field, bool required);
/* The same, each refusal's text after subject ("node 'sales':"; NULL: none). */
int did_target_check_for(struct request *r, const char *type, const char **target,
                         const char *field, bool required, const char *subject);

/* Where a call goes now. Strings live in the request arena. */
struct did_route {
    const char *did_id, *number;
    const char *route_type;   /* never NULL */
    const char *route_target; /* NULL: the type's default (voicemail) or not routed yet */
    const char *schedule_id;  /* NULL: the number has no schedule */
    bool after_hours;         /* the schedule said closed: this is the after-hours route */
};

/*
 * The route of the tenant's active number did_id_or_number (an id "did_…", or a phone
 * number in any form validate_phone_e164 reads) for a call arriving at `when`: its
 * after-hours route when it has a schedule and that schedule is active and closed then
 * (schedule.h); a schedule that cannot be read (unknown zone, bad JSON) is logged and
 * the number's own route is used. Inside or outside a transaction. DB_OK with *out, 1 when
 * the tenant has no such active number, or a db_rc.
 */
int did_route_resolve(struct request *r, const char *did_id_or_number, time_t when,
                      struct did_route *out);

#endif
