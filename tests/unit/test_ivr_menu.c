/* A callcenter menu as a graph (src/core/ivr_menu.c) and the prompt checks (ivr_media.c). */
#include <string.h>
#include <json-c/json.h>

#include "ivr_media.h"
#include "ivr_menu.h"
#include "unit.h"

/* Member k of o as text ("" when absent); a nested path "a.b" walks objects. */
static const char *ut_str(struct json_object *o, const char *k)
{
    struct json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static struct json_object *ut_obj(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    json_object_object_get_ex(o, k, &v);
    return v;
}

/* The node with this id in the graph, or NULL. */
static struct json_object *ut_node(struct json_object *g, const char *id)
{
    struct json_object *nodes = ut_obj(g, "nodes");
    for (size_t i = 0; nodes != NULL && i < json_object_array_length(nodes); i++) {
        struct json_object *n = json_object_array_get_idx(nodes, i);
        if (strcmp(ut_str(n, "id"), id) == 0)
            return n;
    }
    return NULL;
}

static void ut_ivr_graph_tts(void)
{
    struct ivr_menu_row m = {"tts", "Press 1 for sales", NULL, "fr-FR", "alice", 7, 2};
    struct ivr_menu_option o[] = {
        {"#", "hangup", NULL},        {"*", "repeat", NULL},
        {"1", "queue", "queue_a"},    {"2", "ivr", "flow_b"},
        {"3", "external", "+15551230000"}, {"4", "voicemail", NULL},
        {"i", "repeat", NULL},        {"t", "hangup", NULL},
    };
    struct json_object *g = ivr_menu_graph(&m, o, sizeof(o) / sizeof(o[0]));
    REQUIRE(g != NULL);
    CHECK_EQ_STR(ut_str(g, "start"), "menu");
    CHECK_EQ_INT(json_object_array_length(ut_obj(g, "nodes")), 7);
    struct json_object *menu = ut_node(g, "menu");
    REQUIRE(menu != NULL);
    CHECK_EQ_STR(ut_str(menu, "type"), "menu");
    struct json_object *p = ut_obj(menu, "prompt");
    CHECK_EQ_STR(ut_str(p, "text"), "Press 1 for sales");
    CHECK_EQ_STR(ut_str(p, "language"), "fr-FR");
    CHECK_EQ_STR(ut_str(p, "voice"), "alice");
    CHECK(ut_obj(p, "audio_url") == NULL);
    CHECK_EQ_INT(json_object_get_int(ut_obj(menu, "timeout")), 7);
    CHECK_EQ_INT(json_object_get_int(ut_obj(menu, "retries")), 2);
    struct json_object *opts = ut_obj(menu, "options");
    CHECK_EQ_INT(json_object_object_length(opts), 6);
    CHECK_EQ_STR(ut_str(opts, "#"), "key_hash");
    CHECK_EQ_STR(ut_str(opts, "*"), "menu");
    CHECK_EQ_STR(ut_str(opts, "1"), "key_1");
    CHECK_EQ_STR(ut_str(menu, "invalid"), "menu");
    CHECK_EQ_STR(ut_str(menu, "no_input"), "no_input");
    CHECK_EQ_STR(ut_str(ut_node(g, "key_hash"), "type"), "hangup");
    CHECK_EQ_STR(ut_str(ut_node(g, "no_input"), "type"), "hangup");
    struct json_object *q = ut_node(g, "key_1");
    CHECK_EQ_STR(ut_str(q, "type"), "route");
    CHECK_EQ_STR(ut_str(q, "target_type"), "queue");
    CHECK_EQ_STR(ut_str(q, "target"), "queue_a");
    CHECK_EQ_STR(ut_str(ut_node(g, "key_2"), "target_type"), "flow");
    CHECK_EQ_STR(ut_str(ut_node(g, "key_2"), "target"), "flow_b");
    CHECK_EQ_STR(ut_str(ut_node(g, "key_3"), "target_type"), "external");
    struct json_object *vm = ut_node(g, "key_4");
    CHECK_EQ_STR(ut_str(vm, "target_type"), "voicemail");
    CHECK(ut_obj(vm, "target") == NULL);
    CHECK(ut_node(g, "key_star") == NULL && ut_node(g, "invalid") == NULL);
    json_object_put(g);
}

static void ut_ivr_graph_audio_and_bad(void)
{
    struct ivr_menu_row m = {"audio", NULL, "prompts/main.wav", "en-US", NULL, 5, 0};
    struct json_object *g = ivr_menu_graph(&m, NULL, 0);
    REQUIRE(g != NULL);
    struct json_object *menu = ut_node(g, "menu");
    struct json_object *p = ut_obj(menu, "prompt");
    CHECK_EQ_STR(ut_str(p, "audio_url"), "prompts/main.wav");
    CHECK(ut_obj(p, "text") == NULL);
    CHECK_EQ_INT(json_object_object_length(ut_obj(menu, "options")), 0);
    CHECK(ut_obj(menu, "invalid") == NULL && ut_obj(menu, "no_input") == NULL);
    CHECK_EQ_INT(json_object_get_int(ut_obj(menu, "retries")), 0);
    json_object_put(g);
    /* A key or a route type the table does not allow: no graph. */
    struct ivr_menu_option bad_key[] = {{"x", "hangup", NULL}};
    struct ivr_menu_option bad_type[] = {{"1", "fax", "f"}};
    struct ivr_menu_option two[] = {{"11", "hangup", NULL}};
    CHECK(ivr_menu_graph(&m, bad_key, 1) == NULL);
    CHECK(ivr_menu_graph(&m, bad_type, 1) == NULL);
    CHECK(ivr_menu_graph(&m, two, 1) == NULL);
}

static void ut_ivr_language(void)
{
    const char *good[] = {"en", "en-US", "fr-FR", "es-419", "zh-Hant-TW", "EN-us", "haw-US"};
    const char *bad[] = {"",       "e",       "english", "en_US",      "en-",  "-US",
                         "en-U",   "en-US-",  "en US",   "en-abcdefghi", "1n-US",
                         "en-US-x1-y2-z3", "zh-Hant-TW-ab-cd"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!ivr_language_valid(good[i]))
            ut_fail(__FILE__, __LINE__, "refused %s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ivr_language_valid(bad[i]))
            ut_fail(__FILE__, __LINE__, "took %s", bad[i]);
    CHECK(!ivr_language_valid(NULL));
}

static void ut_ivr_audio_url(void)
{
    const char *good[] = {"https://cdn.example.com/a.mp3", "https://h/x?y=1",
                          "prompts/welcome.wav", "a.wav", "/files/ten_1/a.mp3",
                          "prompts/v1..2.wav"};
    const char *bad[] = {"",  "http://cdn.example.com/a.mp3", "ftp://h/a", "file:///etc/passwd",
                         "javascript:alert(1)", "https://", "https:///a", "//evil.example/a",
                         "../secret.wav", "prompts/../../x", "a b.wav", "a\\b.wav",
                         "data:audio/wav;base64,AA", "HTTPS://h/a"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!ivr_audio_url_valid(good[i]))
            ut_fail(__FILE__, __LINE__, "refused %s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ivr_audio_url_valid(bad[i]))
            ut_fail(__FILE__, __LINE__, "took %s", bad[i]);
    CHECK(!ivr_audio_url_valid(NULL));
}

const struct ut_case ut_ivr_menu_cases[] = {
    {"graph_tts", ut_ivr_graph_tts},
    {"graph_audio_and_bad", ut_ivr_graph_audio_and_bad},
    {"language", ut_ivr_language},
    {"audio_url", ut_ivr_audio_url},
    {NULL, NULL},
};
