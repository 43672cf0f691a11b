/*
 * The IVR engine's step function (ivr.h): the caller's answer at a menu or gather node,
 * then the walk through the nodes that take no input until one waits or the session
 * ends. Pure: the schedule's answer is asked of a callback, and the only state is the
 * ivr_state given (its variables changed in place).
 */
#include <string.h>

#include <json-c/json.h>

#include "ivr.h"

#define END_HANGUP (-2) /* a branch that is absent: the call hangs up */

static void step(struct ivr_out *out, int node, const char *input, const char *result)
{
    if (out->nsteps < IVR_MAX_OUT)
        out->steps[out->nsteps++] = (struct ivr_step){node, input, result};
}

static void say(struct ivr_out *out, const struct ivr_prompt *p)
{
    if ((p->text || p->audio_url || p->content_id) && out->nprompts < IVR_MAX_OUT)
        out->prompts[out->nprompts++] = *p;
}

/* A failed attempt at the current node: re-prompt, or after `retries` take branch. */
static int retry(struct ivr_state *st, const struct ivr_node *n, int branch)
{
    if (++st->attempts <= n->retries)
        return st->node;
    st->attempts = 0;
    return branch >= 0 ? branch : END_HANGUP;
}

static const char *var_text(const struct ivr_state *st, const char *name)
{
    struct json_object *v;
    if (st->vars == NULL || !json_object_object_get_ex(st->vars, name, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* The digits of a gather without its finish key: valid when 1..num_digits of 0-9 * #. */
static bool gather_ok(const struct ivr_node *n, const char *in, size_t *len)
{
    size_t k = strlen(in);
    if (k > 0 && n->finish_on_key != NULL && in[k - 1] == n->finish_on_key[0])
        k--;
    *len = k;
    if (k == 0 || k > (size_t)n->num_digits)
        return false;
    for (size_t i = 0; i < k; i++)
        if (strchr(IVR_KEYS, in[i]) == NULL)
            return false;
    return true;
}

/* The caller's answer at the waiting node: the node to go on from. */
static int answer(const struct ivr_graph *g, struct ivr_state *st, const char *in,
                  struct ivr_out *out)
{
    const struct ivr_node *n = &g->nodes[st->node];
    if (in == NULL || in[0] == '\0') {
        step(out, st->node, NULL, "timeout");
        return retry(st, n, n->no_input);
    }
    if (n->type == IVR_MENU) {
        const char *key = strchr(IVR_KEYS, in[0]);
        int to = key && in[1] == '\0' ? n->options[key - IVR_KEYS] : -1;
        step(out, st->node, in, to >= 0 ? "input" : "invalid");
        if (to < 0)
            return retry(st, n, n->invalid);
        st->attempts = 0;
        return to;
    }
    size_t len;
    if (!gather_ok(n, in, &len)) {
        step(out, st->node, in, "invalid");
        return retry(st, n, n->invalid);
    }
    step(out, st->node, in, "input");
    if (n->variable != NULL && st->vars != NULL)
        json_object_object_add(st->vars, n->variable, json_object_new_string_len(in, (int)len));
    st->attempts = 0;
    return n->next >= 0 ? n->next : END_HANGUP;
}

static bool in_list(struct json_object *value, const char *v)
{
    if (json_object_is_type(value, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(value); i++) {
            struct json_object *x = json_object_array_get_idx(value, i);
            if (json_object_is_type(x, json_type_string) &&
                strcmp(json_object_get_string(x), v) == 0)
                return true;
        }
        return false;
    }
    /* a text: comma-separated values */
    const char *s = json_object_get_string(value);
    size_t vl = strlen(v);
    while (s != NULL && *s) {
        const char *end = strchr(s, ',');
        size_t k = end ? (size_t)(end - s) : strlen(s);
        if (k == vl && strncmp(s, v, k) == 0)
            return true;
        s = end ? end + 1 : NULL;
    }
    return false;
}

static int branch(const struct ivr_state *st, const struct ivr_node *n)
{
    const char *v = var_text(st, n->variable);
    for (size_t i = 0; i < n->ncases; i++) {
        const struct ivr_case *c = &n->cases[i];
        const char *want = c->value && json_object_is_type(c->value, json_type_string)
                               ? json_object_get_string(c->value) : NULL;
        bool hit = false;
        if (c->op == IVR_OP_EMPTY)
            hit = v == NULL || v[0] == '\0';
        else if (v == NULL)
            hit = false;
        else if (c->op == IVR_OP_EQ)
            hit = want && strcmp(v, want) == 0;
        else if (c->op == IVR_OP_PREFIX)
            hit = want && strncmp(v, want, strlen(want)) == 0;
        else
            hit = in_list(c->value, v);
        if (hit)
            return c->next;
    }
    return n->deflt;
}

static int schedule_next(const struct ivr_node *n, int answer)
{
    if (answer == 1)
        return n->open;
    if (answer == 2 && n->holiday >= 0)
        return n->holiday;
    return n->closed;
}

/* One node that takes no input: its effect, and the next node (or an end). */
static int run_node(const struct ivr_graph *g, struct ivr_state *st, int at,
                    ivr_schedule_fn sched, void *ctx, struct ivr_out *out)
{
    const struct ivr_node *n = &g->nodes[at];
    int next;
    switch (n->type) {
    case IVR_SAY:
    case IVR_PLAY:
        say(out, &n->prompt);
        step(out, at, NULL, "played");
        return n->next >= 0 ? n->next : END_HANGUP;
    case IVR_SCHEDULE:
        next = schedule_next(n, sched ? sched(ctx, n->schedule_id) : 0);
        step(out, at, NULL, "branched");
        return next;
    case IVR_BRANCH:
        step(out, at, NULL, "branched");
        return branch(st, n);
    case IVR_SET:
        if (st->vars != NULL)
            json_object_object_add(st->vars, n->variable, json_object_new_string(n->value));
        step(out, at, NULL, "set");
        return n->next >= 0 ? n->next : END_HANGUP;
    case IVR_ROUTE:
        step(out, at, NULL, "routed");
        out->end = IVR_ROUTED;
        out->target_type = n->target_type;
        out->target = n->target;
        return -1;
    default: /* hangup */
        say(out, &n->prompt);
        step(out, at, NULL, "hangup");
        out->end = IVR_COMPLETED;
        return -1;
    }
}

int ivr_engine_step(const struct ivr_graph *g, struct ivr_state *st, const char *input,
                    ivr_schedule_fn sched, void *sched_ctx, struct ivr_out *out)
{
    memset(out, 0, sizeof(*out));
    out->wait_node = -1;
    int at;
    if (st->node < 0 || (size_t)st->node >= g->n) {
        at = g->start;
        st->attempts = 0;
    } else if (st->waiting) {
        at = answer(g, st, input, out);
    } else {
        return -1; /* the session is over */
    }
    st->waiting = false;
    for (size_t guard = 0; guard < IVR_MAX_OUT; guard++) {
        if (at == END_HANGUP) {
            out->end = IVR_COMPLETED;
            return 0;
        }
        if (at != st->node)
            st->attempts = 0;
        st->node = at;
        const struct ivr_node *n = &g->nodes[at];
        if (n->type == IVR_MENU || n->type == IVR_GATHER) {
            say(out, &n->prompt);
            step(out, at, NULL, "played");
            out->wait_node = at;
            st->waiting = true;
            return 0;
        }
        at = run_node(g, st, at, sched, sched_ctx, out);
        if (out->end != IVR_GOING)
            return 0;
    }
    return -1;
}
