/* An IVR flow's graph document (ivr.h): parsed and validated as a save does, and when
 * valid walked by the engine with the caller's keys that follow it, and rendered as
 * TwiML. Input: the graph's JSON, then after a NUL the keys, one move per line. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "fuzz.h"
#include "ivr.h"

static int fuzz_sched(void *ctx, const char *id)
{
    (void)ctx;
    return (int)(strlen(id) % 3); /* closed, open, holiday by the id */
}

static void walk(const struct ivr_graph *g, struct json_object *vars, char *keys,
                 struct ivr_out *out)
{
    struct ivr_state st = {.node = -1, .vars = vars};
    const char *input = NULL;
    for (int move = 0; move < 16; move++) {
        if (ivr_engine_step(g, &st, input, fuzz_sched, NULL, out) != 0)
            return;
        free(ivr_twiml(out, g, "/g", "/v"));
        if (out->end != IVR_GOING || keys == NULL)
            return;
        input = keys;
        char *nl = strchr(keys, '\n');
        if (nl != NULL)
            *nl = '\0';
        keys = nl ? nl + 1 : NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t glen = strnlen((const char *)data, size);
    char *keys = glen < size ? fuzz_cstr(data + glen + 1, size - glen - 1) : NULL;
    struct arena *a = arena_create(16384);
    struct json_tokener *tok = json_tokener_new();
    struct ivr_out *out = malloc(sizeof(*out));
    if (a == NULL || tok == NULL || out == NULL)
        goto out;
    struct json_object *doc = arena_json(a, json_tokener_parse_ex(tok, (const char *)data,
                                                                  (int)glen));
    struct ivr_graph g;
    struct ivr_error err;
    if (doc != NULL && ivr_graph_parse(a, doc, &g, &err) == 0)
        walk(&g, arena_json(a, json_object_new_object()), keys, out);
out:
    free(out);
    free(keys);
    if (tok != NULL)
        json_tokener_free(tok);
    if (a != NULL)
        arena_destroy(a);
    return 0;
}
