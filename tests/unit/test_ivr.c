/* src/core/ivr_graph.c and ivr_engine.c: validation rules 1-4 (the node each invalid
 * graph is refused at) and walks of the engine. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "ivr.h"
#include "unit.h"

/* The graph of docs/ivr.md, shortened: say, schedule, menu, gather, branch, route. */
#define UT_IVR_VALID                                                                      \
    "{\"start\":\"welcome\",\"nodes\":["                                                  \
    "{\"id\":\"welcome\",\"type\":\"say\",\"text\":\"Hi\",\"next\":\"hours\"},"           \
    "{\"id\":\"hours\",\"type\":\"schedule\",\"schedule_id\":\"sch_1\",\"open\":\"main\","  \
    "\"closed\":\"bye\",\"holiday\":\"vm\"},"                                              \
    "{\"id\":\"main\",\"type\":\"menu\",\"prompt\":{\"text\":\"Press 1\"},\"retries\":1,"  \
    "\"options\":{\"1\":\"acct\",\"0\":\"op\"},\"invalid\":\"bye\",\"no_input\":\"bye\"}," \
    "{\"id\":\"acct\",\"type\":\"gather\",\"num_digits\":4,\"finish_on_key\":\"#\","       \
    "\"variable\":\"account\",\"next\":\"vip\",\"retries\":0},"                           \
    "{\"id\":\"vip\",\"type\":\"branch\",\"variable\":\"account\",\"cases\":"              \
    "[{\"op\":\"prefix\",\"value\":\"99\",\"next\":\"op\"}],\"default\":\"sales\"},"       \
    "{\"id\":\"sales\",\"type\":\"route\",\"target_type\":\"queue\",\"target\":\"q_1\"},"  \
    "{\"id\":\"op\",\"type\":\"route\",\"target_type\":\"external\",\"target\":\"+15550001111\"}," \
    "{\"id\":\"vm\",\"type\":\"route\",\"target_type\":\"voicemail\"},"                   \
    "{\"id\":\"bye\",\"type\":\"hangup\",\"text\":\"Bye\"}]}"

static int ut_parse(struct arena *a, const char *text, struct ivr_graph *g,
                    struct ivr_error *err)
{
    struct json_object *doc = arena_json(a, json_tokener_parse(text));
    memset(err, 0, sizeof(*err));
    return ivr_graph_parse(a, doc, g, err);
}

/* text invalid: refused naming field, with the node's id in the message. */
static void ut_refused(const char *text, const char *field, const char *id)
{
    struct arena *a = arena_create(0);
    struct ivr_graph g;
    struct ivr_error err;
    CHECK_EQ_INT(ut_parse(a, text, &g, &err), -1);
    CHECK_EQ_STR(err.field, field);
    if (id != NULL && strstr(err.message, id) == NULL)
        CHECK_EQ_STR(err.message, id);
    arena_destroy(a);
}

static void test_valid(void)
{
    struct arena *a = arena_create(0);
    struct ivr_graph g;
    struct ivr_error err;
    REQUIRE(ut_parse(a, UT_IVR_VALID, &g, &err) == 0);
    CHECK_EQ_INT(g.n, 9);
    CHECK_EQ_INT(g.start, 0);
    CHECK_EQ_INT(g.nodes[2].type, IVR_MENU);
    CHECK_EQ_INT(g.nodes[2].options[1], 3);
    CHECK_EQ_INT(g.nodes[2].timeout, 5);
    CHECK_EQ_INT(g.nodes[3].num_digits, 4);
    CHECK_EQ_STR(g.nodes[5].target, "q_1");
    arena_destroy(a);
}

#define N(x) "{\"start\":\"a\",\"nodes\":[" x "]}"
#define BYE "{\"id\":\"bye\",\"type\":\"hangup\"}"

static void test_rule1(void)
{
    ut_refused("[]", "graph", NULL);
    ut_refused("{\"start\":\"a\",\"nodes\":[]}", "graph.nodes", NULL);
    ut_refused(N("{\"id\":\"a\",\"type\":\"say\",\"text\":\"x\",\"next\":\"bye\"}," BYE
                 ",{\"id\":\"a\",\"type\":\"hangup\"}"),
               "graph.nodes[2].id", "'a'");
    ut_refused(N("{\"id\":\"a b\",\"type\":\"hangup\"}"), "graph.nodes[0].id", NULL);
    ut_refused(N("{\"id\":\"a\",\"type\":\"dance\"}"), "graph.nodes[0].type", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"menu\",\"timeout\":61,\"options\":{\"1\":\"a\"}}"),
               "graph.nodes[0].timeout", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"menu\",\"retries\":11,\"options\":{\"1\":\"a\"}}"),
               "graph.nodes[0].retries", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"gather\",\"num_digits\":0}"),
               "graph.nodes[0].num_digits", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"menu\",\"prompt\":{\"text\":7},"
                 "\"options\":{\"1\":\"a\"}}"),
               "graph.nodes[0].prompt.text", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"say\"}"), "graph.nodes[0]", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"route\",\"target_type\":\"moon\",\"target\":\"x\"}"),
               "graph.nodes[0].target_type", "'a'");
    ut_refused("{\"start\":\"zz\",\"nodes\":[" BYE "]}", "graph.start", NULL);
}

static void test_rule2_dangling(void)
{
    ut_refused(N("{\"id\":\"a\",\"type\":\"say\",\"text\":\"x\",\"next\":\"nowhere\"}"),
               "graph.nodes[0].next", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"menu\",\"options\":{\"1\":\"bye\",\"2\":\"gone\"}},"
                 "" BYE),
               "graph.nodes[0].options.2", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"branch\",\"variable\":\"caller_number\",\"cases\":"
                 "[{\"op\":\"eq\",\"value\":\"1\",\"next\":\"gone\"}],\"default\":\"bye\"}," BYE),
               "graph.nodes[0].cases[0].next", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"schedule\",\"schedule_id\":\"s\",\"open\":\"bye\","
                 "\"closed\":\"bye\",\"holiday\":\"x\"}," BYE),
               "graph.nodes[0].holiday", "'a'");
    ut_refused(N("{\"id\":\"a\",\"type\":\"menu\",\"options\":{\"x\":\"bye\"}}," BYE),
               "graph.nodes[0].options", "'a'");
}

static void test_rule3_unreachable(void)
{
    ut_refused(N("{\"id\":\"a\",\"type\":\"say\",\"text\":\"x\",\"next\":\"bye\"}," BYE
                 ",{\"id\":\"lost\",\"type\":\"hangup\"}"),
               "graph.nodes[2]", "'lost'");
}

static void test_rule4_silent_loop(void)
{
    ut_refused(N("{\"id\":\"a\",\"type\":\"say\",\"text\":\"x\",\"next\":\"b\"},"
                 "{\"id\":\"b\",\"type\":\"set\",\"variable\":\"v\",\"value\":\"1\","
                     "\"next\":\"a\"}"),
               "graph.nodes[1]", "'b'");
    /* the same loop through a menu is fine */
    struct arena *a = arena_create(0);
    struct ivr_graph g;
    struct ivr_error err;
    CHECK_EQ_INT(ut_parse(a, N("{\"id\":\"a\",\"type\":\"say\",\"text\":\"x\",\"next\":\"m\"},"
                                "{\"id\":\"m\",\"type\":\"menu\",\"options\":{\"9\":\"a\"}}"),
                          &g, &err), 0);
    arena_destroy(a);
}

/* A walk of UT_IVR_VALID with a schedule answer. */
static int ut_sched_answer;
static int ut_sched(void *ctx, const char *id)
{
    (void)ctx;
    return strcmp(id, "sch_1") == 0 ? ut_sched_answer : -1;
}

static void test_engine_walk(void)
{
    struct arena *a = arena_create(0);
    struct ivr_graph g;
    struct ivr_error err;
    REQUIRE(ut_parse(a, UT_IVR_VALID, &g, &err) == 0);
    struct ivr_out *out = arena_alloc(a, sizeof(*out));
    struct ivr_state st = {.node = -1, .vars = arena_json(a, json_object_new_object())};
    ut_sched_answer = 1;
    REQUIRE(ivr_engine_step(&g, &st, NULL, ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->nprompts, 2); /* Hi, Press 1 */
    CHECK_EQ_STR(out->prompts[1].text, "Press 1");
    CHECK_EQ_INT(out->wait_node, 2);
    CHECK_EQ_INT(out->nsteps, 3);
    CHECK_EQ_STR(out->steps[1].result, "branched");
    /* a wrong key re-prompts once (retries 1), then goes to `invalid` */
    REQUIRE(ivr_engine_step(&g, &st, "7", ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->wait_node, 2);
    CHECK_EQ_STR(out->steps[0].result, "invalid");
    CHECK_EQ_INT(st.attempts, 1);
    REQUIRE(ivr_engine_step(&g, &st, "1", ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->wait_node, 3);
    CHECK_EQ_INT(st.attempts, 0);
    /* the gather's digits without the finish key go to the variable; branch: default */
    REQUIRE(ivr_engine_step(&g, &st, "1234#", ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->end, IVR_ROUTED);
    CHECK_EQ_STR(out->target_type, "queue");
    CHECK_EQ_STR(out->target, "q_1");
    struct json_object *v;
    REQUIRE(json_object_object_get_ex(st.vars, "account", &v));
    CHECK_EQ_STR(json_object_get_string(v), "1234");
    /* over: no more moves */
    CHECK_EQ_INT(ivr_engine_step(&g, &st, "1", ut_sched, NULL, out), -1);
    arena_destroy(a);
}

static void test_engine_branches(void)
{
    struct arena *a = arena_create(0);
    struct ivr_graph g;
    struct ivr_error err;
    REQUIRE(ut_parse(a, UT_IVR_VALID, &g, &err) == 0);
    struct ivr_out *out = arena_alloc(a, sizeof(*out));
    struct ivr_state st = {.node = -1, .vars = arena_json(a, json_object_new_object())};
    /* closed: straight to the hangup, its text spoken */
    ut_sched_answer = 0;
    REQUIRE(ivr_engine_step(&g, &st, NULL, ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->end, IVR_COMPLETED);
    CHECK_EQ_STR(out->prompts[out->nprompts - 1].text, "Bye");
    /* holiday: voicemail */
    st = (struct ivr_state){.node = -1, .vars = st.vars};
    ut_sched_answer = 2;
    REQUIRE(ivr_engine_step(&g, &st, NULL, ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->end, IVR_ROUTED);
    CHECK_EQ_STR(out->target_type, "voicemail");
    /* open, no input twice (retries 1): no_input, then hangup */
    st = (struct ivr_state){.node = -1, .vars = st.vars};
    ut_sched_answer = 1;
    REQUIRE(ivr_engine_step(&g, &st, NULL, ut_sched, NULL, out) == 0);
    REQUIRE(ivr_engine_step(&g, &st, "", ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->wait_node, 2);
    REQUIRE(ivr_engine_step(&g, &st, NULL, ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->end, IVR_COMPLETED);
    /* 0 then a gather of 99…: the prefix case routes to the operator */
    st = (struct ivr_state){.node = -1, .vars = st.vars};
    REQUIRE(ivr_engine_step(&g, &st, NULL, ut_sched, NULL, out) == 0);
    REQUIRE(ivr_engine_step(&g, &st, "1", ut_sched, NULL, out) == 0);
    REQUIRE(ivr_engine_step(&g, &st, "9912", ut_sched, NULL, out) == 0);
    CHECK_EQ_STR(out->target_type, "external");
    /* a gather of too many digits (retries 0, no invalid branch): hangs up */
    st = (struct ivr_state){.node = -1, .vars = st.vars};
    REQUIRE(ivr_engine_step(&g, &st, NULL, ut_sched, NULL, out) == 0);
    REQUIRE(ivr_engine_step(&g, &st, "1", ut_sched, NULL, out) == 0);
    REQUIRE(ivr_engine_step(&g, &st, "123456", ut_sched, NULL, out) == 0);
    CHECK_EQ_INT(out->end, IVR_COMPLETED);
    CHECK_EQ_STR(out->steps[0].result, "invalid");
    arena_destroy(a);
}

/* TwiML: the prompts inside the Gather while waiting, escaped; each end's verb. */
static void test_twiml(void)
{
    struct arena *a = arena_create(0);
    struct ivr_graph g;
    struct ivr_error err;
    REQUIRE(ut_parse(a, UT_IVR_VALID, &g, &err) == 0);
    struct ivr_out *out = arena_calloc(a, 1, sizeof(*out));
    out->wait_node = 3; /* the gather */
    out->prompts[0] = (struct ivr_prompt){.text = "A & <b> \"c\"", .language = "fr-FR"};
    out->prompts[1] = (struct ivr_prompt){.audio_url = "https://x.test/a.mp3?a=1&b=2"};
    out->nprompts = 2;
    char *x = ivr_twiml(out, &g, "/webhooks/twilio/voice/ivs_1", "/webhooks/twilio/voice");
    CHECK_EQ_STR(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                    "<Gather input=\"dtmf\" method=\"POST\" actionOnEmptyResult=\"true\""
                    " action=\"/webhooks/twilio/voice/ivs_1\" timeout=\"5\" numDigits=\"4\""
                    " finishOnKey=\"#\"><Say language=\"fr-FR\">A &amp; &lt;b&gt; &quot;c&quot;"
                    "</Say><Play>https://x.test/a.mp3?a=1&amp;b=2</Play></Gather></Response>");
    free(x);
    static const struct {
        const char *type, *target, *verb;
    } ends[] = {
        {"queue", "q_1", "<Enqueue>q_1</Enqueue>"},
        {"agent", "usr_1", "<Dial><Client>usr_1</Client></Dial>"},
        {"external", "+15550001111", "<Dial>+15550001111</Dial>"},
        {"flow", "ivf_2", "<Redirect method=\"POST\">/v?flow=ivf_2</Redirect>"},
        {"voicemail", "vmb_1", "action=\"/webhooks/twilio/voicemail?box=vmb_1\"/>"},
    };
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        *out = (struct ivr_out){.wait_node = -1, .end = IVR_ROUTED,
                                .target_type = ends[i].type, .target = ends[i].target};
        x = ivr_twiml(out, &g, "/g", "/v");
        CHECK(x != NULL && strstr(x, ends[i].verb) != NULL);
        if (x && strstr(x, ends[i].verb) == NULL)
            CHECK_EQ_STR(x, ends[i].verb);
        free(x);
    }
    *out = (struct ivr_out){.wait_node = -1, .end = IVR_COMPLETED};
    x = ivr_twiml(out, &g, "/g", "/v");
    CHECK_EQ_STR(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>");
    free(x);
    arena_destroy(a);
}

const struct ut_case ut_ivr_cases[] = {
    {"twiml: gather, escaping, each end", test_twiml},
    {"valid graph", test_valid},
    {"rule 1: ids, types, bounds, start", test_rule1},
    {"rule 2: dangling branches", test_rule2_dangling},
    {"rule 3: unreachable node", test_rule3_unreachable},
    {"rule 4: loop without input", test_rule4_silent_loop},
    {"engine: menu, retries, gather, branch, route", test_engine_walk},
    {"engine: schedule answers, timeouts, invalid", test_engine_branches},
    {NULL, NULL},
};
