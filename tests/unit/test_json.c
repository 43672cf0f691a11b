/* jsonutil.h: strict parsing of a single object, setters, compact text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "unit.h"

/* 0/-1 from json_parse_object on a string literal (its sizeof - 1 bytes, NULs included). */
#define UT_PARSE(lit) ut_parse_obj(lit, sizeof(lit) - 1)

static int ut_parse_obj(const char *buf, size_t len)
{
    struct json_object *o = (struct json_object *)1;
    int rc = json_parse_object(buf, len, &o);
    if (rc == 0) {
        if (o == NULL || !json_object_is_type(o, json_type_object))
            ut_fail(__FILE__, __LINE__, "json_parse_object gave 0 without an object");
        json_object_put(o);
    } else if (o != NULL) {
        ut_fail(__FILE__, __LINE__, "json_parse_object failed but left *out non-NULL");
        o = NULL;
    }
    return rc;
}

static void accepts_objects(void)
{
    CHECK_EQ_INT(UT_PARSE("{}"), 0);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}"), 0);
    CHECK_EQ_INT(UT_PARSE(" \t\r\n{\"a\":[1,2.5,-3e2,{\"b\":null}],\"c\":true} \n\t"), 0);
    CHECK_EQ_INT(UT_PARSE("{\"caf\xc3\xa9\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}"), 0);
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\\u0041\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"}"), 0);

    /* Only len bytes are read: what follows in memory does not matter. */
    const char buf[] = "{\"a\":1}garbage";
    CHECK_EQ_INT(ut_parse_obj(buf, 7), 0);

    struct json_object *o = NULL, *v = NULL;
    REQUIRE(json_parse_object("{\"n\":42,\"s\":\"x\"}", 16, &o) == 0);
    CHECK(json_object_object_get_ex(o, "n", &v) && json_object_get_int(v) == 42);
    CHECK(json_object_object_get_ex(o, "s", &v) && strcmp(json_object_get_string(v), "x") == 0);
    json_object_put(o);
}

static void rejects_non_objects(void)
{
    CHECK_EQ_INT(ut_parse_obj("", 0), -1);
    CHECK_EQ_INT(ut_parse_obj("{}", 0), -1);
    CHECK_EQ_INT(UT_PARSE("   \n"), -1);
    CHECK_EQ_INT(UT_PARSE("[]"), -1);
    CHECK_EQ_INT(UT_PARSE("[{\"a\":1}]"), -1);
    CHECK_EQ_INT(UT_PARSE("1"), -1);
    CHECK_EQ_INT(UT_PARSE("-0.5"), -1);
    CHECK_EQ_INT(UT_PARSE("\"{}\""), -1);
    CHECK_EQ_INT(UT_PARSE("true"), -1);
    CHECK_EQ_INT(UT_PARSE("false"), -1);
    CHECK_EQ_INT(UT_PARSE("null"), -1);
}

static void rejects_trailing_garbage(void)
{
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}x"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1} x"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}{\"b\":2}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1},"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}\0"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}\0{}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}/* c */"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}// c"), -1);
}

static void rejects_invalid_syntax(void)
{
    CHECK_EQ_INT(UT_PARSE("{"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\"}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":}"), -1);
    CHECK_EQ_INT(UT_PARSE("{a:1}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":'x'}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":1,}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":[1,2,]}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":0x10}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":tru}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"unterminated}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\\x41\"}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\\u12\"}"), -1);
    CHECK_EQ_INT(UT_PARSE("{/* c */\"a\":1}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"x\0y\"}"), -1);
}

static void rejects_invalid_utf8(void)
{
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xff\"}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xfe\"}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\x80\"}"), -1);          /* lone continuation */
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xc3\"}"), -1);          /* truncated */
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xe2\x82\"}"), -1);      /* truncated */
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xc3(\"}"), -1);         /* bad continuation */
    CHECK_EQ_INT(UT_PARSE("{\"\xff\":1}"), -1);              /* in a key */
    CHECK_EQ_INT(UT_PARSE("{\"a\":1}\xff"), -1);             /* after the object */
    CHECK_EQ_INT(UT_PARSE("\xef\xbb\xbf{\"a\":1}"), -1);     /* no BOM (RFC 8259 8.1) */
}

/* Extensions json-c accepts even with JSON_TOKENER_STRICT; RFC 8259 has none of them. */
static void rejects_non_rfc_extensions(void)
{
    CHECK_EQ_INT(UT_PARSE("{'a':1}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":NaN}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":Infinity}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":-Infinity}"), -1);
    /* A raw control character inside a string (RFC 8259 section 7). */
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"x\ny\"}"), -1);
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"x\ty\"}"), -1);
}

/* Well-formed lead/continuation bits but not UTF-8 (RFC 3629): the contract says valid UTF-8. */
static void rejects_overlong_and_surrogates(void)
{
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xc0\x80\"}"), -1);         /* overlong NUL */
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xc1\xbf\"}"), -1);         /* overlong 0x7f */
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xe0\x80\xaf\"}"), -1);     /* overlong '/' */
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xed\xa0\x80\"}"), -1);     /* surrogate U+D800 */
    CHECK_EQ_INT(UT_PARSE("{\"a\":\"\xf4\x90\x80\x80\"}"), -1); /* above U+10FFFF */
    CHECK_EQ_INT(UT_PARSE("{\"\xc0\xaf\":1}"), -1);             /* overlong in a key */
}

/* `{"a":` repeated, innermost `{}`: `depth` nested objects in all. */
static char *ut_nested(size_t depth, size_t *len)
{
    size_t n = (depth - 1) * 6 + 2;
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i + 1 < depth; i++) {
        memcpy(s + o, "{\"a\":", 5);
        o += 5;
    }
    s[o++] = '{';
    s[o++] = '}';
    for (size_t i = 0; i + 1 < depth; i++)
        s[o++] = '}';
    s[o] = '\0';
    *len = o;
    return s;
}

static char *ut_nested_arrays(size_t depth, size_t *len)
{
    char *s = malloc(2 * depth + 8);
    if (s == NULL)
        return NULL;
    size_t o = 0;
    memcpy(s, "{\"a\":", 5);
    o = 5;
    for (size_t i = 0; i < depth - 1; i++)
        s[o++] = '[';
    for (size_t i = 0; i < depth - 1; i++)
        s[o++] = ']';
    s[o++] = '}';
    s[o] = '\0';
    *len = o;
    return s;
}

static void depth_limit(void)
{
    size_t len;
    char *s = ut_nested(JSON_MAX_DEPTH, &len);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(ut_parse_obj(s, len), 0);
    free(s);
    s = ut_nested(JSON_MAX_DEPTH + 1, &len);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(ut_parse_obj(s, len), -1);
    free(s);
    s = ut_nested(100000, &len);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(ut_parse_obj(s, len), -1);
    free(s);

    s = ut_nested_arrays(JSON_MAX_DEPTH, &len);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(ut_parse_obj(s, len), 0);
    free(s);
    s = ut_nested_arrays(JSON_MAX_DEPTH + 1, &len);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(ut_parse_obj(s, len), -1);
    free(s);
}

static void parse_value(void)
{
    struct json_object *v = NULL;
    CHECK_EQ_INT(json_parse_value("1", 1, &v), 0);
    CHECK(v != NULL && json_object_is_type(v, json_type_int));
    json_object_put(v);
    CHECK_EQ_INT(json_parse_value("\"s\"", 3, &v), 0);
    CHECK(v != NULL && json_object_is_type(v, json_type_string));
    json_object_put(v);
    /* Top-level scalars other than strings (the value ends with the input). */
    CHECK_EQ_INT(json_parse_value("-2.5", 4, &v), 0);
    CHECK(v != NULL && json_object_is_type(v, json_type_double));
    json_object_put(v);
    CHECK_EQ_INT(json_parse_value("true", 4, &v), 0);
    CHECK(v != NULL && json_object_is_type(v, json_type_boolean));
    json_object_put(v);
    v = (struct json_object *)1;
    CHECK_EQ_INT(json_parse_value("null", 4, &v), 0);
    CHECK_NULL(v); /* JSON null is the NULL json_object */
    CHECK_EQ_INT(json_parse_value("5 ", 2, &v), 0);
    CHECK(v != NULL && json_object_is_type(v, json_type_int));
    json_object_put(v);
    CHECK_EQ_INT(json_parse_value("[1]", 3, &v), 0);
    CHECK(v != NULL && json_object_is_type(v, json_type_array));
    json_object_put(v);
    v = NULL;
    CHECK_EQ_INT(json_parse_value("", 0, &v), -1);
    CHECK_NULL(v);
    CHECK_EQ_INT(json_parse_value("1 2", 3, &v), -1);
    CHECK_NULL(v);
    CHECK_EQ_INT(json_parse_value("\"\xff\"", 3, &v), -1);
    CHECK_NULL(v);
}

/* Sets `value` under `key`, serialises, parses back and compares both. */
static void ut_roundtrip(const char *key, const char *value, int line)
{
    struct json_object *o = json_object_new_object(), *back = NULL, *v = NULL;
    if (o == NULL || json_set_str(o, key, value) != 0) {
        ut_fail(__FILE__, line, "json_set_str failed");
        json_object_put(o);
        return;
    }
    size_t len = 0;
    const char *text = json_text(o, &len);
    if (text == NULL || strlen(text) != len) {
        ut_fail(__FILE__, line, "json_text gave NULL or a wrong length");
    } else if (json_parse_object(text, len, &back) != 0) {
        ut_fail(__FILE__, line, "json_text output does not parse: %s", text);
    } else if (!json_object_object_get_ex(back, key, &v) ||
               !json_object_is_type(v, json_type_string) ||
               strcmp(json_object_get_string(v), value) != 0) {
        ut_fail(__FILE__, line, "round trip of \"%s\" changed it: %s", value, text);
    }
    json_object_put(back);
    json_object_put(o);
}

static void string_roundtrip(void)
{
    ut_roundtrip("k", "plain", __LINE__);
    ut_roundtrip("k", "", __LINE__);
    ut_roundtrip("k", "he said \"hi\"", __LINE__);
    ut_roundtrip("k", "back\\slash \\\" \\\\", __LINE__);
    ut_roundtrip("k", "a/b </script>", __LINE__);
    ut_roundtrip("k", "tab\t nl\n cr\r bs\b ff\f ctl\x01\x1f del\x7f", __LINE__);
    ut_roundtrip("k", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", __LINE__);
    ut_roundtrip("quote\"key\\", "v", __LINE__);
    ut_roundtrip("\xe2\x82\xac", "\"", __LINE__);

    /* Unicode escapes decode to UTF-8, which then round-trips. */
    const char in[] = "{\"k\":\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\\"\\\\\\/\"}";
    struct json_object *o = NULL, *v = NULL;
    REQUIRE(json_parse_object(in, sizeof(in) - 1, &o) == 0);
    REQUIRE(json_object_object_get_ex(o, "k", &v));
    const char *s = json_object_get_string(v);
    CHECK_EQ_STR(s, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"\\/");
    ut_roundtrip("k", s, __LINE__);
    json_object_put(o);
}

static void text_format(void)
{
    struct json_object *o = json_object_new_object();
    REQUIRE(o != NULL);
    CHECK_EQ_INT(json_set_str(o, "s", "a/b\"c"), 0);
    CHECK_EQ_INT(json_set_str(o, "n", NULL), 0);
    CHECK_EQ_INT(json_set_int(o, "i", -9007199254740993LL), 0);
    CHECK_EQ_INT(json_set_bool(o, "t", 7), 0);
    CHECK_EQ_INT(json_set_bool(o, "f", 0), 0);
    CHECK_EQ_INT(json_set_double(o, "d", 0.5), 0);
    CHECK_EQ_INT(json_set(o, "o", json_object_new_object()), 0);
    size_t len = 0;
    const char *text = json_text(o, &len);
    CHECK_EQ_STR(text,
                 "{\"s\":\"a/b\\\"c\",\"n\":null,\"i\":-9007199254740993,\"t\":true,\"f\":false,"
                 "\"d\":0.5,\"o\":{}}");
    CHECK_EQ_INT(len, text ? strlen(text) : 0);
    /* Replacing a key keeps one entry. */
    CHECK_EQ_INT(json_set_int(o, "i", 1), 0);
    text = json_text(o, NULL);
    CHECK(text != NULL && strstr(text, "\"i\":1,") != NULL);
    json_object_put(o);
}

const struct ut_case ut_json_cases[] = {
    {"accepts_objects", accepts_objects},
    {"rejects_non_objects", rejects_non_objects},
    {"rejects_trailing_garbage", rejects_trailing_garbage},
    {"rejects_invalid_syntax", rejects_invalid_syntax},
    {"rejects_non_rfc_extensions", rejects_non_rfc_extensions},
    {"rejects_invalid_utf8", rejects_invalid_utf8},
    {"rejects_overlong_and_surrogates", rejects_overlong_and_surrogates},
    {"depth_limit", depth_limit},
    {"parse_value", parse_value},
    {"string_roundtrip", string_roundtrip},
    {"text_format", text_format},
    {NULL, NULL},
};
