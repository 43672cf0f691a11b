/*
 * The IVR graph document (docs/ivr.md) parsed and validated: rules 1 to 4, pure. Rule 5
 * (targets exist in the tenant) is the store's (ivr_store.c), inside the save's
 * transaction. The first broken rule, in node order, is reported as a field
 * `graph.nodes[i]` or `graph.nodes[i].<member>` with a message that names the node.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "ivr.h"

static const char *const type_names[IVR_NTYPES] = {
    [IVR_SAY] = "say",         [IVR_PLAY] = "play",     [IVR_MENU] = "menu",
    [IVR_GATHER] = "gather",   [IVR_SCHEDULE] = "schedule", [IVR_BRANCH] = "branch",
    [IVR_SET] = "set",         [IVR_ROUTE] = "route",   [IVR_HANGUP] = "hangup",
};

static const char *const target_types[] = {"queue", "department", "agent", "voicemail",
                                           "flow",  "external",   NULL};

static const char *const op_names[] = {[IVR_OP_EQ] = "eq", [IVR_OP_PREFIX] = "prefix",
                                       [IVR_OP_IN] = "in", [IVR_OP_EMPTY] = "empty"};

const char *ivr_type_name(enum ivr_type t)
{
    return (unsigned)t < IVR_NTYPES ? type_names[t] : "?";
}

/* The parse: the graph being built and where its first error goes. */
struct gp {
    struct arena *a;
    struct ivr_graph *g;
    struct json_object **docs; /* each node's object */
    struct ivr_error *err;
    size_t i; /* the node being read */
};

static int failf(struct gp *p, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the error at node p->i (member may be NULL); returns -1. */
static int failf(struct gp *p, const char *member, const char *fmt, ...)
{
    const char *id = p->g->nodes[p->i].id;
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(p->err->field, sizeof(p->err->field), "graph.nodes[%zu]%s%s", p->i,
             member ? "." : "", member ? member : "");
    if (id != NULL)
        snprintf(p->err->message, sizeof(p->err->message), "node '%s': %s", id, what);
    else
        snprintf(p->err->message, sizeof(p->err->message), "node %zu: %s", p->i, what);
    return -1;
}

static int fail_top(struct ivr_error *err, const char *field, const char *message)
{
    snprintf(err->field, sizeof(err->field), "%s", field);
    snprintf(err->message, sizeof(err->message), "%s", message);
    return -1;
}

static bool well_formed_name(const char *s, bool dash)
{
    size_t n = strlen(s);
    if (n == 0 || n > IVR_ID_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || (dash && *s == '-')))
            return false;
    return true;
}

int ivr_graph_find(const struct ivr_graph *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->nodes[i].id != NULL && strcmp(g->nodes[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* A text member of the node: 0 with *out (NULL when absent), -1 when not text. */
static int text(struct gp *p, const char *member, bool required, size_t max, const char **out)
{
    struct json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(p->docs[p->i], member, &v) || v == NULL) {
        if (required)
            return failf(p, member, "%s is required", member);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
        (size_t)json_object_get_string_len(v) > max)
        return failf(p, member, "%s must be text of 1 to %zu characters", member, max);
    *out = json_object_get_string(v);
    return 0;
}

/* An integer member within [min, max], def when absent. */
static int number(struct gp *p, const char *member, int min, int max, int def, int *out)
{
    struct json_object *v;
    *out = def;
    if (!json_object_object_get_ex(p->docs[p->i], member, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < min ||
        json_object_get_int64(v) > max)
        return failf(p, member, "%s must be a whole number from %d to %d", member, min, max);
    *out = (int)json_object_get_int64(v);
    return 0;
}

/* A branch: the index of the node named by the text at json v (member names it). */
static int ref_value(struct gp *p, const char *member, struct json_object *v, int *out)
{
    if (!json_object_is_type(v, json_type_string))
        return failf(p, member, "%s must name a node", member);
    *out = ivr_graph_find(p->g, json_object_get_string(v));
    if (*out < 0)
        return failf(p, member, "%s '%s' is not a node of the graph", member,
                     json_object_get_string(v));
    return 0;
}

static int ref(struct gp *p, const char *member, bool required, int *out)
{
    struct json_object *v;
    *out = -1;
    if (!json_object_object_get_ex(p->docs[p->i], member, &v) || v == NULL)
        return required ? failf(p, member, "%s is required", member) : 0;
    return ref_value(p, member, v, out);
}

/* say/play text, audio or content, and a menu's or gather's `prompt` object. */
static int prompt_of(struct gp *p, struct json_object *o, const char *member,
                     struct ivr_prompt *pr)
{
    struct json_object *saved = p->docs[p->i];
    p->docs[p->i] = o;
    int rc = text(p, "text", false, 4000, &pr->text) ||
             text(p, "audio_url", false, 1024, &pr->audio_url) ||
             text(p, "content_id", false, IVR_ID_MAX, &pr->content_id) ||
             text(p, "language", false, 16, &pr->language) ||
             text(p, "voice", false, 64, &pr->voice);
    p->docs[p->i] = saved;
    if (rc != 0) {
        if (member != NULL) { /* the failing member is the prompt's own: say where */
            char inner[32];
            const char *dot = strrchr(p->err->field, '.');
            snprintf(inner, sizeof(inner), "%s", dot ? dot + 1 : "");
            snprintf(p->err->field, sizeof(p->err->field), "graph.nodes[%zu].%s.%s", p->i,
                     member, inner);
        }
        return -1;
    }
    if (pr->text == NULL && pr->audio_url == NULL && pr->content_id == NULL)
        return failf(p, member, "needs text, audio_url or content_id");
    return 0;
}

static int read_prompt(struct gp *p, struct ivr_node *n)
{
    struct json_object *o;
    if (n->type == IVR_SAY || n->type == IVR_PLAY)
        return prompt_of(p, p->docs[p->i], NULL, &n->prompt);
    if (!json_object_object_get_ex(p->docs[p->i], "prompt", &o) || o == NULL)
        return 0;
    if (!json_object_is_type(o, json_type_object))
        return failf(p, "prompt", "prompt must be an object");
    return prompt_of(p, o, "prompt", &n->prompt);
}

static int read_options(struct gp *p, struct ivr_node *n)
{
    struct json_object *o;
    size_t count = 0;
    for (int k = 0; k < IVR_NKEYS; k++)
        n->options[k] = -1;
    if (!json_object_object_get_ex(p->docs[p->i], "options", &o) ||
        !json_object_is_type(o, json_type_object))
        return failf(p, "options", "options must be an object of keys to nodes");
    json_object_object_foreach(o, key, v)
    {
        const char *at = strlen(key) == 1 ? strchr(IVR_KEYS, key[0]) : NULL;
        if (at == NULL || key[0] == '\0')
            return failf(p, "options", "option '%s' is not a key (0-9 * #)", key);
        char member[32];
        snprintf(member, sizeof(member), "options.%s", key);
        if (ref_value(p, member, v, &n->options[at - IVR_KEYS]) != 0)
            return -1;
        count++;
    }
    return count ? 0 : failf(p, "options", "options must name at least one key");
}

static int read_case(struct gp *p, struct json_object *c, size_t k, struct ivr_case *out)
{
    char member[48];
    struct json_object *op, *next;
    snprintf(member, sizeof(member), "cases[%zu]", k);
    if (!json_object_is_type(c, json_type_object) ||
        !json_object_object_get_ex(c, "op", &op) || !json_object_is_type(op, json_type_string))
        return failf(p, member, "a case needs an op (eq, prefix, in, empty)");
    size_t o = 0;
    while (o < sizeof(op_names) / sizeof(op_names[0]) &&
           strcmp(op_names[o], json_object_get_string(op)) != 0)
        o++;
    if (o == sizeof(op_names) / sizeof(op_names[0]))
        return failf(p, member, "op '%s' is not eq, prefix, in or empty",
                     json_object_get_string(op));
    out->op = (enum ivr_op)o;
    out->value = NULL;
    json_object_object_get_ex(c, "value", &out->value);
    bool text_ok = out->value && json_object_is_type(out->value, json_type_string);
    bool list_ok = out->value && json_object_is_type(out->value, json_type_array);
    if (out->op != IVR_OP_EMPTY && !text_ok && !(out->op == IVR_OP_IN && list_ok))
        return failf(p, member, "case value must be text%s",
                     out->op == IVR_OP_IN ? " or a list of texts" : "");
    if (!json_object_object_get_ex(c, "next", &next) || next == NULL)
        return failf(p, member, "a case needs a next node");
    snprintf(member, sizeof(member), "cases[%zu].next", k);
    return ref_value(p, member, next, &out->next);
}

static int read_cases(struct gp *p, struct ivr_node *n)
{
    struct json_object *arr;
    if (!json_object_object_get_ex(p->docs[p->i], "cases", &arr) || arr == NULL) {
        n->ncases = 0;
        return 0;
    }
    if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > 64)
        return failf(p, "cases", "cases must be a list of at most 64 cases");
    n->ncases = json_object_array_length(arr);
    n->cases = arena_calloc(p->a, n->ncases + 1, sizeof(*n->cases));
    if (n->cases == NULL)
        return -2;
    for (size_t k = 0; k < n->ncases; k++)
        if (read_case(p, json_object_array_get_idx(arr, k), k, &n->cases[k]) != 0)
            return -1;
    return 0;
}

static int variable(struct gp *p, bool required, const char **out)
{
    if (text(p, "variable", required, IVR_ID_MAX, out) != 0)
        return -1;
    if (*out != NULL && !well_formed_name(*out, false))
        return failf(p, "variable", "variable must be letters, digits and _");
    return 0;
}

static int read_route(struct gp *p, struct ivr_node *n)
{
    if (text(p, "target_type", true, 16, &n->target_type) != 0)
        return -1;
    size_t t = 0;
    while (target_types[t] != NULL && strcmp(target_types[t], n->target_type) != 0)
        t++;
    if (target_types[t] == NULL)
        return failf(p, "target_type",
                     "target_type must be queue, department, agent, voicemail, flow or external");
    return text(p, "target", strcmp(n->target_type, "voicemail") != 0, IVR_ID_MAX, &n->target);
}

/* The members of node p->i by its type. */
static int read_members(struct gp *p, struct ivr_node *n)
{
    int rc = 0;
    n->next = n->invalid = n->no_input = n->open = n->closed = n->holiday = n->deflt = -1;
    switch (n->type) {
    case IVR_SAY:
    case IVR_PLAY:
        return read_prompt(p, n) || ref(p, "next", false, &n->next) ? -1 : 0;
    case IVR_MENU:
    case IVR_GATHER:
        rc = read_prompt(p, n) || number(p, "timeout", 1, 60, 5, &n->timeout) ||
             number(p, "retries", 0, 10, 2, &n->retries);
        if (rc == 0 && n->type == IVR_MENU)
            rc = read_options(p, n);
        if (rc == 0 && n->type == IVR_GATHER)
            rc = number(p, "num_digits", 1, 32, 32, &n->num_digits) ||
                 text(p, "finish_on_key", false, 1, &n->finish_on_key) ||
                 variable(p, false, &n->variable) || ref(p, "next", false, &n->next);
        if (rc == 0 && n->finish_on_key && !strchr(IVR_KEYS, n->finish_on_key[0]))
            return failf(p, "finish_on_key", "finish_on_key must be a key (0-9 * #)");
        return rc || ref(p, "invalid", false, &n->invalid) ||
                       ref(p, "no_input", false, &n->no_input) ? -1 : 0;
    case IVR_SCHEDULE:
        return text(p, "schedule_id", true, IVR_ID_MAX, &n->schedule_id) ||
                       ref(p, "open", true, &n->open) || ref(p, "closed", true, &n->closed) ||
                       ref(p, "holiday", false, &n->holiday) ? -1 : 0;
    case IVR_BRANCH:
        rc = variable(p, true, &n->variable);
        return rc || (rc = read_cases(p, n)) != 0 ? (rc == -2 ? -2 : -1)
                                                  : ref(p, "default", true, &n->deflt);
    case IVR_SET:
        return variable(p, true, &n->variable) || text(p, "value", true, 255, &n->value) ||
                       ref(p, "next", false, &n->next) ? -1 : 0;
    case IVR_ROUTE:
        return read_route(p, n);
    case IVR_HANGUP:
        return text(p, "text", false, 4000, &n->prompt.text);
    default:
        return -1;
    }
}

/* Pass 1: each node an object with a well-formed, unique id and a known type. */
static int read_ids(struct gp *p)
{
    for (p->i = 0; p->i < p->g->n; p->i++) {
        struct ivr_node *n = &p->g->nodes[p->i];
        struct json_object *id, *type;
        if (!json_object_is_type(p->docs[p->i], json_type_object))
            return failf(p, NULL, "a node must be an object");
        if (!json_object_object_get_ex(p->docs[p->i], "id", &id) ||
            !json_object_is_type(id, json_type_string) ||
            !well_formed_name(json_object_get_string(id), true))
            return failf(p, "id", "id must be 1 to 64 of A-Z a-z 0-9 _ -");
        if (ivr_graph_find(p->g, json_object_get_string(id)) >= 0)
            return failf(p, "id", "id '%s' is used by another node", json_object_get_string(id));
        n->id = json_object_get_string(id);
        size_t t = 0;
        if (json_object_object_get_ex(p->docs[p->i], "type", &type) &&
            json_object_is_type(type, json_type_string))
            while (t < IVR_NTYPES && strcmp(type_names[t], json_object_get_string(type)) != 0)
                t++;
        else
            t = IVR_NTYPES;
        if (t == IVR_NTYPES)
            return failf(p, "type", "type must be say, play, menu, gather, schedule, branch,"
                                    " set, route or hangup");
        n->type = (enum ivr_type)t;
    }
    return 0;
}

/* Every branch of node n into out (at most IVR_NKEYS + 64 + 4); their count. */
static size_t successors(const struct ivr_node *n, int *out)
{
    size_t k = 0;
    int fixed[] = {n->next, n->invalid, n->no_input, n->open, n->closed, n->holiday, n->deflt};
    for (size_t j = 0; j < sizeof(fixed) / sizeof(fixed[0]); j++)
        if (fixed[j] >= 0)
            out[k++] = fixed[j];
    if (n->type == IVR_MENU)
        for (int j = 0; j < IVR_NKEYS; j++)
            if (n->options[j] >= 0)
                out[k++] = n->options[j];
    for (size_t j = 0; j < n->ncases; j++)
        out[k++] = n->cases[j].next;
    return k;
}

/* Rule 3: every node reachable from start. */
static int reachable(struct gp *p, unsigned char *seen, int *stack)
{
    size_t top = 0;
    int succ[IVR_NKEYS + 80];
    stack[top++] = p->g->start;
    seen[p->g->start] = 1;
    while (top > 0) {
        const struct ivr_node *n = &p->g->nodes[stack[--top]];
        size_t k = successors(n, succ);
        for (size_t j = 0; j < k; j++)
            if (!seen[succ[j]]) {
                seen[succ[j]] = 1;
                stack[top++] = succ[j];
            }
    }
    for (p->i = 0; p->i < p->g->n; p->i++)
        if (!seen[p->i])
            return failf(p, NULL, "is not reachable from start");
    return 0;
}

/* Rule 4: a depth-first walk of the nodes that take no input; a branch back to a node on
 * the walk's path is a loop a caller could never leave. color: 0 new, 1 on path, 2 done. */
static int no_silent_loop(struct gp *p, int at, unsigned char *color)
{
    const struct ivr_node *n = &p->g->nodes[at];
    int succ[IVR_NKEYS + 80];
    if (n->type == IVR_MENU || n->type == IVR_GATHER)
        return 0;
    color[at] = 1;
    size_t k = successors(n, succ);
    for (size_t j = 0; j < k; j++) {
        int s = succ[j];
        if (color[s] == 1) {
            p->i = (size_t)at;
            return failf(p, NULL, "loops back to '%s' without a menu or gather on the way",
                         p->g->nodes[s].id);
        }
        if (color[s] == 0 && no_silent_loop(p, s, color) != 0)
            return -1;
    }
    color[at] = 2;
    return 0;
}

static int read_top(struct json_object *doc, struct json_object **nodes,
                    struct ivr_error *err)
{
    if (doc == NULL || !json_object_is_type(doc, json_type_object))
        return fail_top(err, "graph", "graph must be an object with start and nodes");
    if (!json_object_object_get_ex(doc, "nodes", nodes) ||
        !json_object_is_type(*nodes, json_type_array) || json_object_array_length(*nodes) == 0 ||
        json_object_array_length(*nodes) > IVR_MAX_NODES)
        return fail_top(err, "graph.nodes", "nodes must be a list of 1 to 200 nodes");
    return 0;
}

int ivr_graph_parse(struct arena *a, struct json_object *doc, struct ivr_graph *g,
                    struct ivr_error *err)
{
    struct json_object *nodes, *start;
    memset(g, 0, sizeof(*g));
    if (read_top(doc, &nodes, err) != 0)
        return -1;
    g->n = json_object_array_length(nodes);
    g->nodes = arena_calloc(a, g->n, sizeof(*g->nodes));
    struct gp p = {.a = a, .g = g, .err = err, .docs = arena_calloc(a, g->n, sizeof(*p.docs))};
    unsigned char *marks = arena_calloc(a, g->n, 1);
    int *stack = arena_calloc(a, g->n * (IVR_NKEYS + 80) + 1, sizeof(int));
    if (g->nodes == NULL || p.docs == NULL || marks == NULL || stack == NULL)
        return -2;
    for (size_t i = 0; i < g->n; i++)
        p.docs[i] = json_object_array_get_idx(nodes, i);
    if (read_ids(&p) != 0)
        return -1;
    for (p.i = 0; p.i < g->n; p.i++) {
        int rc = read_members(&p, &g->nodes[p.i]);
        if (rc != 0)
            return rc;
    }
    if (!json_object_object_get_ex(doc, "start", &start) ||
        !json_object_is_type(start, json_type_string) ||
        (g->start = ivr_graph_find(g, json_object_get_string(start))) < 0)
        return fail_top(err, "graph.start", "start must name a node of the graph");
    if (reachable(&p, marks, stack) != 0)
        return -1;
    memset(marks, 0, g->n);
    for (size_t i = 0; i < g->n; i++)
        if (marks[i] == 0 && no_silent_loop(&p, (int)i, marks) != 0)
            return -1;
    return 0;
}
