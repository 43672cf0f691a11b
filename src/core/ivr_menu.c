/*
 * A callcenter menu as a graph document (ivr_menu.h).
 */
#include "ivr_menu.h"

#include <string.h>
#include <json-c/json.h>

#include "jsonutil.h"

#define MENU_NODE "menu"

/* The node id of an option's digit; NULL for a digit the table does not allow. */
static const char *node_id(const char *digit)
{
    static const char *const keys[] = {"key_0", "key_1", "key_2", "key_3", "key_4",
                                       "key_5", "key_6", "key_7", "key_8", "key_9"};
    if (digit == NULL || digit[0] == '\0' || digit[1] != '\0')
        return NULL;
    if (digit[0] >= '0' && digit[0] <= '9')
        return keys[digit[0] - '0'];
    switch (digit[0]) {
    case '*': return "key_star";
    case '#': return "key_hash";
    case 't': return "no_input";
    case 'i': return "invalid";
    default: return NULL;
    }
}

/* The graph's target_type of a route option; NULL when the option is no route. */
static const char *target_type(const char *route_type)
{
    static const char *const direct[] = {"queue", "department", "agent", "voicemail",
                                         "external", NULL};
    for (size_t i = 0; direct[i] != NULL; i++)
        if (strcmp(route_type, direct[i]) == 0)
            return direct[i];
    return strcmp(route_type, "ivr") == 0 ? "flow" : NULL;
}

static struct json_object *prompt(const struct ivr_menu_row *m)
{
    struct json_object *p = json_object_new_object();
    int rc = p == NULL;
    if (rc == 0 && strcmp(m->greeting_type, "audio") == 0) {
        rc = json_set_str(p, "audio_url", m->greeting_audio_path ? m->greeting_audio_path : "");
    } else if (rc == 0) {
        rc = json_set_str(p, "text", m->greeting_text ? m->greeting_text : "") |
             json_set_str(p, "language", m->language);
        if (m->voice != NULL && m->voice[0] != '\0')
            rc |= json_set_str(p, "voice", m->voice);
    }
    return json_done(p, rc);
}

/* The option's own node (NULL *node for repeat, which leads back to the menu). -1 when
 * the route type is unknown or out of memory. */
static int option_node(const struct ivr_menu_option *o, const char *id, struct json_object **node)
{
    *node = NULL;
    if (strcmp(o->route_type, "repeat") == 0)
        return 0;
    struct json_object *n = json_object_new_object();
    int rc = json_set_str(n, "id", id);
    const char *tt = target_type(o->route_type);
    if (strcmp(o->route_type, "hangup") == 0)
        rc |= json_set_str(n, "type", "hangup");
    else if (tt == NULL)
        rc = -1;
    else {
        rc |= json_set_str(n, "type", "route") | json_set_str(n, "target_type", tt);
        if (o->route_target != NULL)
            rc |= json_set_str(n, "target", o->route_target);
    }
    *node = json_done(n, rc);
    return *node ? 0 : -1;
}

/* Adds each option: its branch on the menu node, its node to nodes. */
static int add_options(struct json_object *menu, struct json_object *nodes,
                       const struct ivr_menu_option *opts, size_t n)
{
    struct json_object *options = json_object_new_object();
    int rc = json_add(menu, "options", options);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *id = node_id(opts[i].digit);
        struct json_object *node = NULL;
        if (id == NULL || opts[i].route_type == NULL || option_node(&opts[i], id, &node) != 0)
            return -1;
        const char *to = node ? id : MENU_NODE;
        if (node != NULL && json_push(nodes, node) != 0)
            return -1;
        if (opts[i].digit[0] == 't')
            rc = json_set_str(menu, "no_input", to);
        else if (opts[i].digit[0] == 'i')
            rc = json_set_str(menu, "invalid", to);
        else
            rc = json_set_str(options, opts[i].digit, to);
    }
    return rc;
}

struct json_object *ivr_menu_graph(const struct ivr_menu_row *m,
                                   const struct ivr_menu_option *opts, size_t nopts)
{
    struct json_object *g = json_object_new_object();
    struct json_object *nodes = json_object_new_array();
    struct json_object *menu = json_object_new_object();
    int rc = json_set_str(g, "start", MENU_NODE) | json_add(g, "nodes", nodes);
    if (rc != 0) {
        json_object_put(menu);
        return json_done(g, rc);
    }
    rc = json_push(nodes, menu);
    if (rc == 0)
        rc = json_set_str(menu, "id", MENU_NODE) | json_set_str(menu, "type", "menu") |
             json_add(menu, "prompt", prompt(m)) | json_set_int(menu, "timeout", m->timeout) |
             json_set_int(menu, "retries", m->max_retries);
    if (rc == 0)
        rc = add_options(menu, nodes, opts, nopts);
    return json_done(g, rc);
}
