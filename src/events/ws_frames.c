/*
 * The client families' WebSocket framing and subscriptions (ws_internal.h), from
 * ../shared/clients.md:
 *
 *   callcenter  {"type":"a.b.c","payload":{…},"timestamp","id"}; subscribes with
 *               {"type":"subscribe","payload":{"events":[…]}} (exact types) or
 *               {"payload":{"topics":[…]}} ("chat" is every chat.* type)
 *   coldcaller  {"type":"callInitiated","channel":"calls","data":{…},"timestamp","id"};
 *               subscribes with {"type":"subscribe","channel":"calls"}
 *   calldocker  {"type":"call_started","data":{…},"timestamp","id"}: snake_case types
 *
 * The event's own JSON (store.c: payload keys merged with id, type, tenant_id, call_id,
 * timestamp) is split back: the columns frame it, the rest is the payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "events.h"
#include "httputil.h"
#include "jsonutil.h"
#include "reply.h"
#include "ws_internal.h"

/* Our event types that the coldcaller and calldocker clients know by another name. */
static const struct {
    const char *type, *coldcaller, *calldocker;
} names[] = {
    {"call.incoming", "callInitiated", "call_started"},
    {"call.initiated", "callInitiated", "call_started"},
    {"call_started", "callInitiated", "call_started"},
    {"call.answered", "callConnected", "call_answered"},
    {"call.connected", "callConnected", "call_answered"},
    {"call.ended", "callEnded", "call_ended"},
    {"call_ended", "callEnded", "call_ended"},
    {"call.quality", "callQualityUpdate", "call_quality_update"},
    {"recording.started", "recordingStarted", "recording_started"},
    {"recording.stopped", "recordingStopped", "recording_stopped"},
    {"agent.state.changed", "agentStatusChanged", "agent_status_changed"},
    {"metrics.update", "metricsUpdate", "metrics_update"},
};

int ws_family_parse(const char *name)
{
    if (name == NULL)
        return -1;
    if (strcmp(name, "callcenter") == 0)
        return WS_CALLCENTER;
    if (strcmp(name, "coldcaller") == 0)
        return WS_COLDCALLER;
    if (strcmp(name, "calldocker") == 0)
        return WS_CALLDOCKER;
    return -1;
}

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

enum ws_family ws_family_guess(struct json_object *msg)
{
    struct json_object *v;
    if (json_object_object_get_ex(msg, "channel", &v) ||
        json_object_object_get_ex(msg, "channels", &v))
        return WS_COLDCALLER;
    if (json_object_object_get_ex(msg, "payload", &v))
        return WS_CALLCENTER;
    const char *type = str_of(msg, "type");
    /* join_room, leave_room, get_status: the calldocker pages' snake_case messages. */
    if (type != NULL && strchr(type, '_') != NULL && strchr(type, '.') == NULL)
        return WS_CALLDOCKER;
    return WS_CALLCENTER;
}

/* agent.state.changed -> agentStateChanged; call_ended -> callEnded. */
static void camel(const char *type, char *buf, size_t size)
{
    size_t n = 0;
    int up = 0;
    for (const char *p = type; *p && n + 1 < size; p++) {
        if (*p == '.' || *p == '_' || *p == '-') {
            up = n > 0;
            continue;
        }
        buf[n++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        up = 0;
    }
    buf[n] = '\0';
}

static void snake(const char *type, char *buf, size_t size)
{
    size_t n = 0;
    for (const char *p = type; *p && n + 1 < size; p++)
        buf[n++] = *p == '.' || *p == '-' ? '_' : *p;
    buf[n] = '\0';
}

/* The type as family f names it, into buf. */
static const char *family_name(enum ws_family f, const char *type, char *buf, size_t size)
{
    if (f == WS_CALLCENTER)
        return type;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].type, type) == 0)
            return f == WS_COLDCALLER ? names[i].coldcaller : names[i].calldocker;
    if (f == WS_COLDCALLER)
        camel(type, buf, size);
    else
        snake(type, buf, size);
    return buf;
}

const char *ws_channel_of(const char *type, char *buf, size_t size)
{
    size_t n = strcspn(type, "._");
    if (n + 2 > size)
        n = size > 2 ? size - 2 : 0;
    memcpy(buf, type, n);
    buf[n] = '\0';
    /* Plural channels, as the coldcaller dashboard names them: calls, recordings, agents,
     * queues; sip, chat, metrics and the rest as they are. */
    static const char *const plural[] = {"call", "recording", "agent", "queue", "transfer",
                                         "ticket", "notification"};
    for (size_t i = 0; i < sizeof(plural) / sizeof(plural[0]); i++)
        if (strcmp(buf, plural[i]) == 0 && n + 1 < size - 1) {
            buf[n] = 's';
            buf[n + 1] = '\0';
        }
    return buf;
}

static int is_column(const char *key)
{
    return strcmp(key, "id") == 0 || strcmp(key, "type") == 0 ||
           strcmp(key, "tenant_id") == 0 || strcmp(key, "timestamp") == 0;
}

/* {type, payload|data, channel?, timestamp, id} around data (taken). Coldcaller's data is
 * camelCase, as its REST answers are (render.c): our payloads are snake_case. */
static char *frame(enum ws_family f, const char *type, const char *channel,
                   struct json_object *data, const char *ts, const char *id, size_t *len)
{
    struct json_object *o = json_object_new_object();
    char *text = NULL;
    if (data == NULL)
        data = json_object_new_object();
    if (f == WS_COLDCALLER && data != NULL) {
        struct json_object *camel = render_camel(data, false);
        json_object_put(data);
        data = camel;
    }
    if (o == NULL || data == NULL || json_set_str(o, "type", type) != 0) {
        json_object_put(data);
        goto out;
    }
    if (channel != NULL && json_set_str(o, "channel", channel) != 0) {
        json_object_put(data);
        goto out;
    }
    if (json_set(o, f == WS_CALLCENTER ? "payload" : "data", data) != 0)
        goto out;
    if ((ts != NULL && json_set_str(o, "timestamp", ts) != 0) ||
        (id != NULL && json_set_str(o, "id", id) != 0))
        goto out;
    size_t n;
    const char *t = json_text(o, &n);
    if (t != NULL && (text = malloc(n + 1)) != NULL) {
        memcpy(text, t, n + 1);
        *len = n;
    }
out:
    json_object_put(o);
    return text;
}

char *ws_frame_event(enum ws_family f, const struct event *e, size_t *len)
{
    struct json_object *o = NULL, *data = json_object_new_object();
    char *text = NULL;
    if (data == NULL || json_parse_object(e->frame + e->json_off, e->json_len, &o) != 0)
        goto out;
    json_object_object_foreach(o, key, val)
    {
        if (is_column(key) || (val == NULL && strcmp(key, "call_id") == 0))
            continue;
        if (json_object_object_add(data, key, json_object_get(val)) != 0) {
            json_object_put(val);
            goto out;
        }
    }
    char nbuf[WS_NAME_MAX + 1], cbuf[WS_NAME_MAX + 1];
    const char *name = family_name(f, e->type, nbuf, sizeof(nbuf));
    const char *channel = f == WS_COLDCALLER ? ws_channel_of(e->type, cbuf, sizeof(cbuf)) : NULL;
    text = frame(f, name, channel, data, str_of(o, "timestamp"), str_of(o, "id"), len);
    data = NULL;
out:
    json_object_put(data);
    json_object_put(o);
    return text;
}

char *ws_frame_control(enum ws_family f, const char *type, struct json_object *data,
                       const char *id, size_t *len)
{
    char ts[32];
    http_now_rfc3339(ts);
    return frame(f, type, f == WS_COLDCALLER ? "system" : NULL, data, ts, id, len);
}

char *ws_frame_channel(const char *type, const char *channel, struct json_object *data,
                       size_t *len)
{
    char ts[32];
    http_now_rfc3339(ts);
    return frame(WS_COLDCALLER, type, channel, data, ts, NULL, len);
}

/* ---- subscriptions ------------------------------------------------------------------- */

int ws_subs_match(const struct ws_subs *s, enum ws_family f, const char *type)
{
    if (!s->active)
        return 1;
    char cbuf[WS_NAME_MAX + 1];
    const char *channel = f == WS_COLDCALLER ? ws_channel_of(type, cbuf, sizeof(cbuf)) : NULL;
    for (size_t i = 0; i < s->n; i++) {
        const char *name = s->e[i].name;
        if (channel != NULL) {
            if (strcmp(name, channel) == 0 || strcmp(name, type) == 0)
                return 1;
            continue;
        }
        size_t n = strlen(name);
        if (strcmp(name, type) == 0 ||
            (s->e[i].prefix && strncmp(type, name, n) == 0 && (type[n] == '.' || type[n] == '_')))
            return 1;
    }
    return 0;
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > WS_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.' || *s == '-' || *s == ':'))
            return 0;
    return 1;
}

static void subs_remove(struct ws_subs *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->e[i].name, name) == 0) {
            s->e[i] = s->e[--s->n];
            return;
        }
}

/* One name: added (when not there) or removed. -1 with *why when invalid or too many. */
static int subs_one(struct ws_subs *s, const char *name, int prefix, int add, const char **why)
{
    if (!name_ok(name)) {
        *why = "names are 1 to 64 letters, digits, _ . - :";
        return -1;
    }
    subs_remove(s, name);
    if (!add)
        return 0;
    if (s->n == WS_MAX_SUBS) {
        *why = "at most 32 subscriptions";
        return -1;
    }
    snprintf(s->e[s->n].name, sizeof(s->e[s->n].name), "%s", name);
    s->e[s->n++].prefix = prefix;
    return 0;
}

/* The strings of array key in o (a lone string too), each through subs_one. *seen when
 * there was such a key. */
static int subs_list(struct ws_subs *s, struct json_object *o, const char *key, int prefix,
                     int add, int *seen, const char **why)
{
    struct json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    *seen = 1;
    if (json_object_is_type(v, json_type_string))
        return subs_one(s, json_object_get_string(v), prefix, add, why);
    if (!json_object_is_type(v, json_type_array)) {
        *why = "a list of names";
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        struct json_object *x = json_object_array_get_idx(v, i);
        if (!json_object_is_type(x, json_type_string)) {
            *why = "a list of names";
            return -1;
        }
        if (subs_one(s, json_object_get_string(x), prefix, add, why) != 0)
            return -1;
    }
    return 0;
}

int ws_subs_apply(struct ws_subs *s, enum ws_family f, struct json_object *msg, int add,
                  const char **why)
{
    struct json_object *payload = NULL;
    json_object_object_get_ex(msg, "payload", &payload);
    if (payload != NULL && !json_object_is_type(payload, json_type_object))
        payload = NULL;
    int seen = 0;
    int rc = 0;
    if (f == WS_COLDCALLER) {
        rc = subs_list(s, msg, "channel", 0, add, &seen, why);
        if (rc == 0)
            rc = subs_list(s, msg, "channels", 0, add, &seen, why);
    } else {
        rc = subs_list(s, payload, "events", 0, add, &seen, why);
        if (rc == 0)
            rc = subs_list(s, payload, "topics", 1, add, &seen, why);
        if (rc == 0)
            rc = subs_list(s, msg, "events", 0, add, &seen, why);
        if (rc == 0)
            rc = subs_list(s, msg, "topics", 1, add, &seen, why);
    }
    if (rc != 0)
        return -1;
    if (!seen && add) {
        *why = f == WS_COLDCALLER ? "subscribe names a channel" : "subscribe names events or topics";
        return -1;
    }
    if (!seen)
        s->n = 0; /* unsubscribe from everything */
    s->active = 1;
    return 0;
}

struct json_object *ws_subs_json(const struct ws_subs *s, enum ws_family f)
{
    struct json_object *o = json_object_new_object();
    struct json_object *a = json_object_new_array(), *b = json_object_new_array();
    int rc = o == NULL || a == NULL || b == NULL;
    for (size_t i = 0; !rc && i < s->n; i++)
        rc = json_push(s->e[i].prefix ? b : a, json_object_new_string(s->e[i].name));
    if (!rc && f == WS_COLDCALLER) {
        rc = json_set(o, "channels", a);
        a = NULL;
    } else if (!rc) {
        rc = json_set(o, "events", a);
        a = NULL;
        if (!rc) {
            rc = json_set(o, "topics", b);
            b = NULL;
        }
    }
    json_object_put(a);
    json_object_put(b);
    return json_done(o, rc);
}
