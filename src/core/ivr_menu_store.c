/*
 * A callcenter IVR menu (ivr_menus + ivr_options, sql/002) turned into the graph document
 * of docs/ivr.md, so the one engine runs it: node `menu` (the greeting as its prompt, the
 * menu's timeout and max_retries), one node per option (`opt_<key>`, `*` as `star`, `#`
 * as `hash`): a route, or a hangup; `repeat` goes back to the menu; the `t` and `i`
 * options are the menu's no-input and invalid branches.
 */
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "ivr.h"
#include "jsonutil.h"
#include "log.h"
#include "request.h"

static const char *option_node(struct request *r, const char *digit)
{
    const char *k = strcmp(digit, "*") == 0 ? "star" : strcmp(digit, "#") == 0 ? "hash" : digit;
    return arena_printf(r->arena, "opt_%s", k);
}

/* The node of one option; *to gets the node a key goes to (the menu for `repeat`). */
static struct json_object *option_json(struct request *r, const struct db_result *o, size_t i,
                                       const char **to)
{
    const char *type = db_get(o, i, "route_type"), *target = db_get(o, i, "route_target");
    *to = option_node(r, db_get(o, i, "digit"));
    if (strcmp(type, "repeat") == 0) {
        *to = "menu";
        return NULL;
    }
    struct json_object *n = json_object_new_object();
    int rc = n == NULL || *to == NULL || json_set_str(n, "id", *to);
    if (strcmp(type, "hangup") == 0)
        rc = rc || json_set_str(n, "type", "hangup");
    else
        rc = rc || json_set_str(n, "type", "route") ||
             json_set_str(n, "target_type", strcmp(type, "ivr") == 0 ? "flow" : type) ||
             (target && json_set_str(n, "target", target));
    return json_done(n, rc);
}

static struct json_object *menu_node(const struct db_result *m)
{
    struct json_object *n = json_object_new_object(), *p = json_object_new_object();
    bool audio = strcmp(db_get(m, 0, "greeting_type"), "audio") == 0;
    const char *say = db_get(m, 0, audio ? "greeting_audio_path" : "greeting_text");
    int rc = n == NULL || p == NULL || json_set_str(n, "id", "menu") ||
             json_set_str(n, "type", "menu") ||
             json_set_int(n, "timeout", db_get_int(m, 0, "timeout", 5)) ||
             json_set_int(n, "retries", db_get_int(m, 0, "max_retries", 2)) ||
             (say && json_set_str(p, audio ? "audio_url" : "text", say)) ||
             json_set_str(p, "language", db_get(m, 0, "language")) ||
             (db_get(m, 0, "voice") && json_set_str(p, "voice", db_get(m, 0, "voice")));
    if (rc == 0 && say != NULL)
        return json_done(n, json_add(n, "prompt", p));
    json_object_put(p);
    return json_done(n, rc);
}

/* The document of menu m with its options o (arena). NULL when out of memory. */
static struct json_object *menu_doc(struct request *r, const struct db_result *m,
                                    const struct db_result *o)
{
    struct json_object *doc = arena_json(r->arena, json_object_new_object());
    struct json_object *nodes = json_object_new_array(), *menu = menu_node(m);
    struct json_object *keys = json_object_new_object();
    int rc = doc == NULL || json_set_str(doc, "start", "menu") || json_add(doc, "nodes", nodes) ||
             json_push(nodes, json_object_get(menu)) || json_add(menu, "options", keys);
    json_object_put(menu);
    for (size_t i = 0; rc == 0 && i < o->nrows; i++) {
        const char *to, *digit = db_get(o, i, "digit");
        struct json_object *n = option_json(r, o, i, &to);
        const char *key = strcmp(digit, "t") == 0 ? NULL : strcmp(digit, "i") == 0 ? NULL : digit;
        if (n != NULL)
            rc = json_push(nodes, n);
        else if (to == NULL)
            rc = -1;
        if (rc == 0 && key != NULL)
            rc = json_set_str(keys, key, to);
        else if (rc == 0)
            rc = json_set_str(menu, strcmp(digit, "t") == 0 ? "no_input" : "invalid", to);
    }
    return rc == 0 ? doc : NULL;
}

int ivr_menu_load(struct request *r, const char *menu_id, struct ivr_graph *g)
{
    struct db_result *m, *o;
    int rc = db_exec(r->db, r->arena,
                     "SELECT greeting_type, greeting_text, greeting_audio_path, language, voice,"
                     " timeout, max_retries FROM ivr_menus"
                     " WHERE id = ? AND tenant_id = ? AND is_active = 1",
                     DB_PARAMS(DB_STR(menu_id), DB_STR(r->auth.tenant_id)), &m);
    if (rc != DB_OK || m->nrows == 0)
        return rc != DB_OK ? rc : 1;
    rc = db_exec(r->db, r->arena,
                 "SELECT digit, route_type, route_target FROM ivr_options"
                 " WHERE tenant_id = ? AND menu_id = ? ORDER BY digit",
                 DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(menu_id)), &o);
    if (rc != DB_OK)
        return rc;
    struct json_object *doc = menu_doc(r, m, o);
    struct ivr_error err;
    if (doc == NULL)
        return DB_ERROR;
    rc = ivr_graph_parse(r->arena, doc, g, &err);
    if (rc == -2)
        return DB_ERROR;
    if (rc != 0) {
        log_warn("ivr menu %s cannot run (%s: %s)", menu_id, err.field, err.message);
        return 1;
    }
    return DB_OK;
}
