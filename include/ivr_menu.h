#ifndef SB_IVR_MENU_H
#define SB_IVR_MENU_H
/*
 * A callcenter IVR menu (ivr_menus + ivr_options, sql/002) as the graph document of
 * docs/ivr.md, so the engine walks menus and flows alike and the dashboard shows what the
 * engine runs (src/core/ivr_menu.c, pure):
 *
 *   start "menu"; node "menu" (type menu): the greeting as its prompt (tts: text, language,
 *   voice; audio: audio_url), timeout, retries = max_retries, options digit → node;
 *   each option a node "key_<d>" (`*` is "key_star", `#` "key_hash"; 't' "no_input",
 *   'i' "invalid"):
 *     queue, department, agent, voicemail, external: a route node with that target_type
 *     ivr: a route node with target_type "flow"
 *     hangup: a hangup node
 *     repeat: no node; the digit leads back to "menu"
 *   't' is the menu's no_input branch and 'i' its invalid branch (absent: none).
 *
 * ivr_menu_store_graph() (src/core/ivr_menu_store.c) reads a menu of the caller's tenant
 * and builds it.
 */
#include <stddef.h>

struct json_object;
struct request;

struct ivr_menu_row {
    const char *greeting_type; /* "tts" or "audio" */
    const char *greeting_text, *greeting_audio_path; /* may be NULL */
    const char *language, *voice;                   /* voice may be NULL */
    long long timeout, max_retries;
};

struct ivr_menu_option {
    const char *digit;        /* "0"…"9", "*", "#", "t", "i" */
    const char *route_type;   /* ivr_options.route_type */
    const char *route_target; /* may be NULL */
};

/* The graph (a new json-c object the caller owns), or NULL when out of memory or an
 * option's digit or route type is not one of the table's. */
struct json_object *ivr_menu_graph(const struct ivr_menu_row *menu,
                                   const struct ivr_menu_option *opts, size_t nopts);

/* The graph of menu_id of the caller's tenant: DB_OK with *out (arena-owned), 1 when the
 * tenant has no such menu, or a db_rc (DB_ERROR when out of memory). */
int ivr_menu_store_graph(struct request *r, const char *menu_id, struct json_object **out);

#endif
