#ifndef SB_IVR_H
#define SB_IVR_H
/*
 * The IVR engine (docs/ivr.md): one graph model, parsed and validated from a flow
 * version's JSON document (ivr_graph.c, pure), and one step function that walks it
 * (ivr_engine.c, pure: the schedule answer comes from a callback). The store
 * (ivr_store.c) reads and writes flows, versions, sessions and steps; the sessions API,
 * the preview and the Twilio voice webhook render what the engine says.
 */
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct json_object;
struct request;

#define IVR_MAX_NODES 200
#define IVR_ID_MAX 64
#define IVR_KEYS "0123456789*#"
#define IVR_NKEYS 12

enum ivr_type {
    IVR_SAY, IVR_PLAY, IVR_MENU, IVR_GATHER, IVR_SCHEDULE, IVR_BRANCH, IVR_SET, IVR_ROUTE,
    IVR_HANGUP, IVR_NTYPES
};

enum ivr_op { IVR_OP_EQ, IVR_OP_PREFIX, IVR_OP_IN, IVR_OP_EMPTY };

/* What a say/play node speaks or a menu/gather node prompts with. */
struct ivr_prompt {
    const char *text, *audio_url, *content_id, *language, *voice;
};

struct ivr_case {
    enum ivr_op op;
    struct json_object *value; /* text, or an array of texts for `in` */
    int next;
};

/* Branches are node indexes, -1 when absent. */
struct ivr_node {
    const char *id;
    enum ivr_type type;
    struct ivr_prompt prompt;
    int timeout, retries, num_digits;
    const char *finish_on_key, *variable, *value;
    int next, invalid, no_input;
    int options[IVR_NKEYS];
    const char *schedule_id;
    int open, closed, holiday;
    struct ivr_case *cases;
    size_t ncases;
    int deflt;
    const char *target_type, *target;
};

struct ivr_graph {
    struct ivr_node *nodes;
    size_t n;
    int start;
};

/* The first rule a graph breaks: field "graph.nodes[3].next", message naming the node. */
struct ivr_error {
    char field[64];
    char message[200];
};

/*
 * Parses and validates (rules 1-4) the graph document doc into g (arena; the strings point
 * into doc, which must outlive g). 0, or -1 with *err; -2 when out of memory.
 */
int ivr_graph_parse(struct arena *a, struct json_object *doc, struct ivr_graph *g,
                    struct ivr_error *err);
/* Node index by id, -1 when none. */
int ivr_graph_find(const struct ivr_graph *g, const char *id);
const char *ivr_type_name(enum ivr_type t);

/* ---- the engine ------------------------------------------------------------------------ */

/* A session's state: where it is and what it knows. */
struct ivr_state {
    int node;          /* current node; -1 before the start */
    int attempts;      /* failed inputs at the node */
    bool waiting;      /* the node (menu/gather) prompted and waits for input */
    struct json_object *vars; /* variables (caller_number, called_number, set/gather ones) */
};

enum ivr_end { IVR_GOING = 0, IVR_ROUTED, IVR_COMPLETED };

struct ivr_step {
    int node;
    const char *input;  /* NULL: none */
    const char *result; /* played, input, invalid, timeout, branched, set, routed, hangup */
};

/* The most steps one move records (more than the nodes a graph may have: validation forbids
 * loops without input, so a walk visits each node at most once). */
#define IVR_MAX_OUT 256
/* What to do now: speak these, then wait (gather) or end. */
struct ivr_out {
    struct ivr_prompt prompts[IVR_MAX_OUT];
    size_t nprompts;
    int wait_node;      /* >= 0: wait for input at this menu/gather node */
    enum ivr_end end;
    const char *target_type, *target; /* routed */
    const char *queue_call_id; /* routed to a queue: the caller's place in it (the store's) */
    struct ivr_step steps[IVR_MAX_OUT];
    size_t nsteps;
};

/* The schedule answer for a schedule node: 1 open, 0 closed, 2 holiday. */
typedef int (*ivr_schedule_fn)(void *ctx, const char *schedule_id);

/*
 * One move: with st->node < 0 the session starts at g->start; else, when waiting, input
 * (NULL or "": none before the timeout) is the caller's answer at the current node. The
 * walk then runs until a node waits for input or the session ends. Pure apart from
 * st->vars (changed in place). 0, or -1 when the session is over (or the walk runs away).
 */
int ivr_engine_step(const struct ivr_graph *g, struct ivr_state *st, const char *input,
                    ivr_schedule_fn sched, void *sched_ctx, struct ivr_out *out);

/*
 * The TwiML of one move (ivr_twiml.c, pure): the prompts as <Say>/<Play> (inside a
 * <Gather> whose action is gather_url when the session waits), then the end: <Enqueue>
 * (queue, department), <Dial> (agent: <Client>; external: the number), <Redirect> to
 * voice_url?flow=<id> (another flow), <Record> to /webhooks/twilio/voicemail?box=<target>,
 * <Hangup/>. Text is XML-escaped. A new string (malloc'd), NULL when out of memory.
 */
char *ivr_twiml(const struct ivr_out *out, const struct ivr_graph *g, const char *gather_url,
                const char *voice_url);

/* ---- the store (SQL; inside the caller's transaction, tenant r->auth.tenant_id) -------- */

/* Rule 5: every target, schedule and content of g exists in the tenant. DB_OK,
 * TXN_ANSWERED (422 naming the node), or a db_rc. */
int ivr_targets_check(struct request *r, const struct ivr_graph *g);
/* The graph of a flow's version (version <= 0: the active one; *version gets it), parsed
 * into g (arena). DB_OK, 1 when absent (or no such / no active version), or a db_rc. */
int ivr_version_load(struct request *r, const char *flow_id, int *version,
                     struct ivr_graph *g);
/* A callcenter menu of the tenant as a graph (ivr_menu.h builds its document), parsed into
 * g. DB_OK, 1 when the tenant has no such active menu (or one the engine cannot run: no
 * options), or a db_rc. */
int ivr_menu_load(struct request *r, const char *menu_id, struct ivr_graph *g);
/* Schedule callback over the tenant's schedules (ctx: the request). */
int ivr_schedule_answer(void *ctx, const char *schedule_id);
/* The prompts' content items resolved (text, audio, language, voice from ivr_content). */
int ivr_prompts_resolve(struct request *r, struct ivr_out *out);

/* A stored session as the engine needs it. */
struct ivr_session {
    const char *id, *flow_id, *menu_id, *call_sid, *call_id, *status;
    const char *caller_number, *called_number;
    int version, seq;
    struct ivr_state st;
    struct ivr_graph g;
};
/* Locks and loads session id of the tenant with its graph. DB_OK, 1 absent, or a db_rc. */
int ivr_session_lock(struct request *r, const char *id, struct ivr_session *s);
/* Inserts a new session (s->id, flow, version, numbers, channel) before its first step. */
int ivr_session_insert(struct request *r, const struct ivr_session *s, const char *channel);
/* Records out's steps and saves the state and status of s. */
int ivr_session_save(struct request *r, struct ivr_session *s, const struct ivr_out *out);
/* Ends an active session as abandoned (its last step `ended`). */
int ivr_session_abandon(struct request *r, struct ivr_session *s);
/* The call (calls.id) is over: its sessions still active end abandoned (the caller hung
 * up in the IVR). Inside the caller's transaction. DB_OK or a db_rc. */
int ivr_call_ended(struct request *r, const char *call_id);
/* When out routes to a queue, the caller enters it (queue_dist.h), with call_id (may be
 * NULL) and the session's numbers: out->queue_call_id. A queue that cannot take the caller
 * (inactive, full) leaves the outcome without one. DB_OK or a db_rc. */
int ivr_enter_queue(struct request *r, const struct ivr_session *s, struct ivr_out *out,
                    const char *call_id, const char *did_id);
/* Inside a transaction: the flow's active version. DB_OK, TXN_ANSWERED (404 for a flow not
 * the tenant's, 409 when none is active), or a db_rc (ivr_sessions.c). */
int ivr_flow_active(struct request *r, const char *flow_id, int *version);
/* The session's answer object: session row, prompts, waiting spec, outcome (arena). */
struct json_object *ivr_out_json(struct request *r, const struct ivr_session *s,
                                 const struct ivr_out *out);

#endif
