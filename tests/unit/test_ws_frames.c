/*
 * src/events/ws_frames.c: the families' WebSocket framing and subscriptions. The file is
 * pure (no I/O), so it is included here as it is (the unit tests do not link the event
 * worker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "../../src/events/ws_frames.c"

#include "unit.h"

/* An event as store.c formats it: the JSON after an SSE head. */
static struct event *ut_event(const char *type, const char *json)
{
    const char *head = "id: x\ndata: ";
    size_t hn = strlen(head), jn = strlen(json);
    struct event *e = calloc(1, sizeof(*e) + hn + jn + 3);
    if (e == NULL)
        return NULL;
    memcpy(e->frame, head, hn);
    memcpy(e->frame + hn, json, jn);
    e->json_off = hn;
    e->json_len = jn;
    e->type = type;
    return e;
}

static struct json_object *ut_frame(enum ws_family f, const char *type, const char *json)
{
    struct event *e = ut_event(type, json);
    size_t len = 0;
    char *text = e ? ws_frame_event(f, e, &len) : NULL;
    struct json_object *o = NULL;
    if (text != NULL)
        json_parse_object(text, len, &o);
    free(text);
    free(e);
    return o;
}

static const char *ut_str(struct json_object *o, const char *a, const char *b)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(o, a, &v))
        return "";
    if (b != NULL && !json_object_object_get_ex(v, b, &v))
        return "";
    return json_object_get_string(v);
}

static void framing_per_family(void)
{
    const char *ev = "{\"id\":\"CUR\",\"type\":\"call.ended\",\"tenant_id\":\"t1\",\"call_id\":null,"
                     "\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"unique_id\":\"u9\"}";
    struct json_object *o = ut_frame(WS_CALLCENTER, "call.ended", ev);
    REQUIRE(o != NULL);
    CHECK_EQ_STR(ut_str(o, "type", NULL), "call.ended");
    CHECK_EQ_STR(ut_str(o, "payload", "unique_id"), "u9");
    CHECK_EQ_STR(ut_str(o, "id", NULL), "CUR");
    CHECK_EQ_STR(ut_str(o, "timestamp", NULL), "2026-01-01T00:00:00.000Z");
    CHECK(!json_object_object_get_ex(json_object_object_get(o, "payload"), "call_id", NULL));
    CHECK(!json_object_object_get_ex(json_object_object_get(o, "payload"), "tenant_id", NULL));
    json_object_put(o);

    o = ut_frame(WS_COLDCALLER, "call.ended", ev);
    REQUIRE(o != NULL);
    CHECK_EQ_STR(ut_str(o, "type", NULL), "callEnded");
    CHECK_EQ_STR(ut_str(o, "channel", NULL), "calls");
    /* Coldcaller's data is camelCase, as its REST answers are. */
    CHECK_EQ_STR(ut_str(o, "data", "uniqueId"), "u9");
    CHECK(!json_object_object_get_ex(json_object_object_get(o, "data"), "unique_id", NULL));
    json_object_put(o);

    o = ut_frame(WS_CALLDOCKER, "agent.state.changed",
                 "{\"id\":\"C\",\"type\":\"agent.state.changed\",\"state\":\"break\"}");
    REQUIRE(o != NULL);
    CHECK_EQ_STR(ut_str(o, "type", NULL), "agent_status_changed");
    CHECK_EQ_STR(ut_str(o, "data", "state"), "break");
    json_object_put(o);

    o = ut_frame(WS_COLDCALLER, "queue.member.added", "{\"id\":\"C\"}");
    REQUIRE(o != NULL);
    CHECK_EQ_STR(ut_str(o, "type", NULL), "queueMemberAdded");
    CHECK_EQ_STR(ut_str(o, "channel", NULL), "queues");
    json_object_put(o);
}

static int ut_apply(struct ws_subs *s, enum ws_family f, const char *msg, int add)
{
    struct json_object *o = NULL;
    const char *why = NULL;
    if (json_parse_object(msg, strlen(msg), &o) != 0)
        return -2;
    int rc = ws_subs_apply(s, f, o, add, &why);
    json_object_put(o);
    return rc;
}

static void subscriptions(void)
{
    struct ws_subs s = {0};
    CHECK(ws_subs_match(&s, WS_CALLCENTER, "anything"));
    CHECK_EQ_INT(ut_apply(&s, WS_CALLCENTER, "{\"payload\":{\"events\":[\"queue.stats\"]}}", 1), 0);
    CHECK(ws_subs_match(&s, WS_CALLCENTER, "queue.stats"));
    CHECK(!ws_subs_match(&s, WS_CALLCENTER, "queue.stats.x"));
    CHECK(!ws_subs_match(&s, WS_CALLCENTER, "agent.login"));
    CHECK_EQ_INT(ut_apply(&s, WS_CALLCENTER, "{\"payload\":{\"topics\":[\"chat\"]}}", 1), 0);
    CHECK(ws_subs_match(&s, WS_CALLCENTER, "chat.message"));
    CHECK(!ws_subs_match(&s, WS_CALLCENTER, "chatter.x"));
    CHECK_EQ_INT(ut_apply(&s, WS_CALLCENTER, "{\"payload\":{\"topics\":[\"chat\"]}}", 0), 0);
    CHECK(!ws_subs_match(&s, WS_CALLCENTER, "chat.message"));
    CHECK_EQ_INT(ut_apply(&s, WS_CALLCENTER, "{\"payload\":{\"events\":[\"bad name!\"]}}", 1), -1);
    CHECK_EQ_INT(ut_apply(&s, WS_CALLCENTER, "{\"type\":\"subscribe\"}", 1), -1);
    CHECK_EQ_INT(ut_apply(&s, WS_CALLCENTER, "{\"type\":\"unsubscribe\"}", 0), 0);
    CHECK(!ws_subs_match(&s, WS_CALLCENTER, "queue.stats"));

    struct ws_subs c = {0};
    CHECK_EQ_INT(ut_apply(&c, WS_COLDCALLER, "{\"type\":\"subscribe\",\"channel\":\"calls\"}", 1), 0);
    CHECK(ws_subs_match(&c, WS_COLDCALLER, "call.ended"));
    CHECK(ws_subs_match(&c, WS_COLDCALLER, "call_started"));
    CHECK(!ws_subs_match(&c, WS_COLDCALLER, "agent.login"));
}

static void family_guess(void)
{
    struct json_object *o = NULL;
    CHECK_EQ_INT(json_parse_object("{\"type\":\"subscribe\",\"channel\":\"calls\"}", 38, &o), 0);
    CHECK_EQ_INT(ws_family_guess(o), WS_COLDCALLER);
    json_object_put(o);
    CHECK_EQ_INT(json_parse_object("{\"type\":\"join_room\"}", 20, &o), 0);
    CHECK_EQ_INT(ws_family_guess(o), WS_CALLDOCKER);
    json_object_put(o);
    CHECK_EQ_INT(json_parse_object("{\"type\":\"ping\"}", 15, &o), 0);
    CHECK_EQ_INT(ws_family_guess(o), WS_CALLCENTER);
    json_object_put(o);
    CHECK_EQ_INT(ws_family_parse("calldocker"), WS_CALLDOCKER);
    CHECK_EQ_INT(ws_family_parse("other"), -1);
}

/* Issue 10: coldcaller's names and channels for outbound calls, recordings and SIP; data
 * camelCase at every depth; metricsUpdate on `metrics`. */
static void coldcaller_channels(void)
{
    static const char *const want[][3] = {
        {"call.initiated", "callInitiated", "calls"},
        {"call.connected", "callConnected", "calls"},
        {"call.quality", "callQualityUpdate", "calls"},
        {"call.ended", "callEnded", "calls"},
        {"recording.started", "recordingStarted", "recordings"},
        {"recording.stopped", "recordingStopped", "recordings"},
        {"sip.registered", "sipRegistered", "sip"},
        {"sip.registration_failed", "sipRegistrationFailed", "sip"},
        {"sip.unregistered", "sipUnregistered", "sip"},
        {"metrics.update", "metricsUpdate", "metrics"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json),
                 "{\"id\":\"C\",\"type\":\"%s\",\"phone_number\":\"+1555\","
                 "\"quality\":{\"packet_loss\":0.5}}",
                 want[i][0]);
        struct json_object *o = ut_frame(WS_COLDCALLER, want[i][0], json);
        REQUIRE(o != NULL);
        CHECK_EQ_STR(ut_str(o, "type", NULL), want[i][1]);
        CHECK_EQ_STR(ut_str(o, "channel", NULL), want[i][2]);
        CHECK_EQ_STR(ut_str(o, "data", "phoneNumber"), "+1555");
        struct json_object *q = NULL;
        CHECK(json_object_object_get_ex(json_object_object_get(o, "data"), "quality", &q));
        CHECK(json_object_object_get_ex(q, "packetLoss", NULL));
        json_object_put(o);
    }
    struct json_object *d = json_object_new_object();
    REQUIRE(d != NULL);
    json_object_object_add(d, "active_calls", json_object_new_int(3));
    size_t len = 0;
    char *text = ws_frame_channel("metricsUpdate", "metrics", d, &len);
    REQUIRE(text != NULL);
    struct json_object *o = NULL;
    REQUIRE(json_parse_object(text, len, &o) == 0);
    CHECK_EQ_STR(ut_str(o, "type", NULL), "metricsUpdate");
    CHECK_EQ_STR(ut_str(o, "channel", NULL), "metrics");
    CHECK_EQ_STR(ut_str(o, "data", "activeCalls"), "3");
    CHECK(json_object_object_get_ex(o, "timestamp", NULL));
    CHECK(!json_object_object_get_ex(o, "id", NULL));
    json_object_put(o);
    free(text);

    /* Subscribed to `metrics`: metrics.update passes, call events do not. */
    struct ws_subs subs = {0};
    const char *why = NULL;
    struct json_object *msg = NULL;
    REQUIRE(json_parse_object("{\"type\":\"subscribe\",\"channel\":\"metrics\"}", 40,
                              &msg) == 0);
    CHECK(ws_subs_apply(&subs, WS_COLDCALLER, msg, 1, &why) == 0);
    CHECK(ws_subs_match(&subs, WS_COLDCALLER, "metrics.update"));
    CHECK(!ws_subs_match(&subs, WS_COLDCALLER, "call.initiated"));
    json_object_put(msg);
}

const struct ut_case ut_ws_frames_cases[] = {
    {"framing_per_family", framing_per_family},
    {"subscriptions", subscriptions},
    {"family_guess", family_guess},
    {"coldcaller_channels", coldcaller_channels},
    {NULL, NULL},
};
