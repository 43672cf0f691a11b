/*
 * The signed-in user's preferences (GET/PUT /api/settings/user/preferences) and the lists
 * they are checked against (GET /api/settings/themes, /api/settings/languages), declared
 * once here. A user without a row reads the defaults; PUT writes the fields sent (a
 * partial update; `notifications` is replaced whole).
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "router.h"
#include "routes.h"
#include "schedule.h"
#include "txn.h"

/* id, name */
#define THEMES(X)                                                                          \
    X("light", "Light") X("dark", "Dark") X("system", "Follow the system")                 \
    X("high_contrast", "High contrast")
/* code, name, native name, direction */
#define LANGUAGES(X)                                                                       \
    X("en", "English", "English", "ltr") X("es", "Spanish", "Español", "ltr")              \
    X("fr", "French", "Français", "ltr") X("de", "German", "Deutsch", "ltr")               \
    X("pt", "Portuguese", "Português", "ltr") X("it", "Italian", "Italiano", "ltr")        \
    X("nl", "Dutch", "Nederlands", "ltr") X("tr", "Turkish", "Türkçe", "ltr")             \
    X("ar", "Arabic", "العربية", "rtl") X("hi", "Hindi", "हिन्दी", "ltr")                   \
    X("zh", "Chinese", "中文", "ltr") X("ja", "Japanese", "日本語", "ltr")
/* The notification channels a user may switch, all on by default but sms. */
#define NOTIFY_DEFAULT                                                                     \
    "{\"email\": true, \"push\": true, \"desktop\": true, \"sound\": true, \"sms\": false}"
static const char *const notify_keys[] = {"email", "push", "desktop", "sound", "sms", NULL};

#define FIRST2(a, b) a,
#define FIRST4(a, b, c, d) a,
static const char *const theme_ids[] = {THEMES(FIRST2) NULL};
static const char *const language_codes[] = {LANGUAGES(FIRST4) NULL};

enum { P_THEME, P_LANGUAGE, P_TIMEZONE, P_NOTIFY };

static const struct field_def pref_fields[] = {
    [P_THEME] = {"theme", FT_ENUM, 0, 0, 0, theme_ids, NULL, NULL},
    [P_LANGUAGE] = {"language", FT_ENUM, 0, 0, 0, language_codes, NULL, NULL},
    [P_TIMEZONE] = {"timezone", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [P_NOTIFY] = {"notifications", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
};

static const char *const pref_json_cols[] = {"notifications", NULL};

static const struct resource prefs = {
    .table = "user_preferences",
    .columns = "u.id AS user_id, COALESCE(p.theme, 'system') AS theme,"
               " COALESCE(p.language, 'en') AS language, p.timezone,"
               " COALESCE(p.notifications, '" NOTIFY_DEFAULT "') AS notifications,"
               " p.updated_at",
    .from = "users u LEFT JOIN user_preferences p"
            " ON p.tenant_id = u.tenant_id AND p.user_id = u.id",
    .id_col = "u.id",
    .tenant_col = "u.tenant_id",
    .json_cols = pref_json_cols,
    RESOURCE_NAMES("preferences", "preferences", "User not found"),
};

static int prefs_get(struct request *r)
{
    struct json_object *o;
    int rc = resource_fetch(r, &prefs, r->auth.user_id, &o);
    return request_reply_found(r, 200, rc, prefs.one, o, prefs.not_found);
}

/* notifications: an object of known channels, each true or false. */
static void notify_check(struct request *r, const struct field_value *v)
{
    struct json_object *o = NULL;
    if (!v->sent || v->null)
        return;
    if (json_parse_object(v->s, strlen(v->s), &o) != 0) {
        request_field_error(r, "notifications", "must be an object");
        return;
    }
    json_object_object_foreach(o, k, val)
    {
        bool known = false;
        for (size_t i = 0; notify_keys[i] != NULL; i++)
            known = known || strcmp(k, notify_keys[i]) == 0;
        if (!known || !json_object_is_type(val, json_type_boolean)) {
            request_field_error(r, "notifications",
                                "must map email, push, desktop, sound or sms to true or false");
            break;
        }
    }
    json_object_put(o);
}

static int prefs_step(struct request *r, void *arg)
{
    const struct field_value *v = arg;
    int rc = db_exec(
        r->db, r->arena,
        "INSERT INTO user_preferences (tenant_id, user_id, theme, language, timezone,"
        " notifications) VALUES (?, ?, COALESCE(?, 'system'), COALESCE(?, 'en'), ?, ?)"
        " ON DUPLICATE KEY UPDATE theme = IF(?, VALUES(theme), theme),"
        " language = IF(?, VALUES(language), language),"
        " timezone = IF(?, VALUES(timezone), timezone),"
        " notifications = IF(?, VALUES(notifications), notifications)",
        DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id),
                  resource_param(&pref_fields[P_THEME], &v[P_THEME]),
                  resource_param(&pref_fields[P_LANGUAGE], &v[P_LANGUAGE]),
                  resource_param(&pref_fields[P_TIMEZONE], &v[P_TIMEZONE]),
                  resource_param(&pref_fields[P_NOTIFY], &v[P_NOTIFY]), DB_INT(v[P_THEME].sent),
                  DB_INT(v[P_LANGUAGE].sent), DB_INT(v[P_TIMEZONE].sent),
                  DB_INT(v[P_NOTIFY].sent)),
        NULL);
    return rc == DB_OK ? resource_answer(r, &prefs, 200, r->auth.user_id) : rc;
}

static int prefs_put(struct request *r)
{
    struct field_value v[4];
    if (fields_declared(r, FIELDS_UPDATE, v, 4, NULL) != 0)
        return -1;
    struct tm tm;
    if (v[P_TIMEZONE].sent && !v[P_TIMEZONE].null &&
        schedule_local_time(v[P_TIMEZONE].s, time(NULL), &tm) != 0)
        request_field_error(r, "timezone", "must be an IANA time zone (Europe/Paris)");
    notify_check(r, &v[P_NOTIFY]);
    if (request_check_fields(r) != 0)
        return -1;
    return txn_reply(r, txn_run(r, prefs_step, v));
}

/* A static list as an array of objects, answered whole. */
static int list_answer(struct request *r, const char *key, struct json_object *items, int rc)
{
    if (rc != 0 || arena_json(r->arena, items) == NULL)
        return request_oom(r);
    size_t n = json_object_array_length(items);
    return reply_list(r, key, items, 1, (long long)n, (long long)n);
}

#define THEME_ITEM(id, name)                                                               \
    o = json_object_new_object();                                                          \
    rc |= json_set_str(o, "id", id) | json_set_str(o, "name", name);                        \
    rc |= json_push(a, o);
static int themes_get(struct request *r)
{
    struct json_object *a = json_object_new_array(), *o;
    int rc = a == NULL;
    if (a != NULL) {
        THEMES(THEME_ITEM)
    }
    return list_answer(r, "themes", a, rc);
}

#define LANGUAGE_ITEM(code, name, native, dir)                                             \
    o = json_object_new_object();                                                          \
    rc |= json_set_str(o, "code", code) | json_set_str(o, "name", name) |                  \
          json_set_str(o, "native_name", native) | json_set_str(o, "direction", dir);       \
    rc |= json_push(a, o);
static int languages_get(struct request *r)
{
    struct json_object *a = json_object_new_array(), *o;
    int rc = a == NULL;
    if (a != NULL) {
        LANGUAGES(LANGUAGE_ITEM)
    }
    return list_answer(r, "languages", a, rc);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/settings/user/preferences", prefs_get, ROLES_ANY, FAM_CALLDOCKER,
          .summary = "My preferences (theme, language, timezone, notifications)",
          .key = "preferences"),
    ROUTE("PUT", "/api/settings/user/preferences", prefs_put, ROLES_ANY, FAM_CALLDOCKER,
          .summary = "Change my preferences", ROUTE_BODY(pref_fields), .key = "preferences"),
    ROUTE("GET", "/api/settings/themes", themes_get, ROLES_ANY, FAM_CALLDOCKER,
          .summary = "The themes a user may choose", .key = "themes",
          .flags = ROUTE_LIST | ROUTE_WHOLE),
    ROUTE("GET", "/api/settings/languages", languages_get, ROLES_ANY, FAM_CALLDOCKER,
          .summary = "The languages a user may choose", .key = "languages",
          .flags = ROUTE_LIST | ROUTE_WHOLE),
};

ROUTE_GROUP(preferences_routes, routes);
