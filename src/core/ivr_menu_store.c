/*
 * The graph of a stored menu (ivr_menu.h): its row and its options, read in the caller's
 * tenant, through ivr_menu_graph().
 */
#include "ivr_menu.h"

#include "arena.h"
#include "db.h"
#include "request.h"

static int menu_row(struct request *r, const char *menu_id, struct ivr_menu_row *m)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT greeting_type, greeting_text, greeting_audio_path, language, voice,"
                     " timeout, max_retries FROM ivr_menus WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(menu_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *m = (struct ivr_menu_row){
        .greeting_type = db_get(res, 0, "greeting_type"),
        .greeting_text = db_get(res, 0, "greeting_text"),
        .greeting_audio_path = db_get(res, 0, "greeting_audio_path"),
        .language = db_get(res, 0, "language"),
        .voice = db_get(res, 0, "voice"),
        .timeout = db_get_int(res, 0, "timeout", 5),
        .max_retries = db_get_int(res, 0, "max_retries", 3),
    };
    return DB_OK;
}

/* The options in digit order (ascii_bin: '#', '*', the digits, 'i', 't'). */
static int menu_options(struct request *r, const char *menu_id, struct ivr_menu_option **out,
                        size_t *n)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT digit, route_type, route_target FROM ivr_options"
                     " WHERE tenant_id = ? AND menu_id = ? ORDER BY digit",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(menu_id)), &res);
    if (rc != DB_OK)
        return rc;
    *n = res->nrows;
    *out = arena_calloc(r->arena, res->nrows ? res->nrows : 1, sizeof(**out));
    if (*out == NULL)
        return DB_ERROR;
    for (size_t i = 0; i < res->nrows; i++)
        (*out)[i] = (struct ivr_menu_option){db_get(res, i, "digit"),
                                             db_get(res, i, "route_type"),
                                             db_get(res, i, "route_target")};
    return DB_OK;
}

int ivr_menu_store_graph(struct request *r, const char *menu_id, struct json_object **out)
{
    struct ivr_menu_row m;
    struct ivr_menu_option *opts = NULL;
    size_t n = 0;
    int rc = menu_row(r, menu_id, &m);
    if (rc == DB_OK)
        rc = menu_options(r, menu_id, &opts, &n);
    if (rc != DB_OK)
        return rc;
    *out = arena_json(r->arena, ivr_menu_graph(&m, opts, n));
    return *out ? DB_OK : DB_ERROR;
}
