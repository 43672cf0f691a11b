/* src/core/chat_origin.c and chat_store.c: the pure parts (origins, ended statuses). */
#include <stdbool.h>
#include <string.h>

#include "chat_store.h"
#include "unit.h"

static void test_origin_normalise(void)
{
    char a[] = "HTTPS://Shop.Example:8443", b[] = "*", c[] = "http://localhost";
    CHECK(chat_origin_normalise(a) && strcmp(a, "https://shop.example:8443") == 0);
    CHECK(chat_origin_normalise(b));
    CHECK(chat_origin_normalise(c));
    char d[] = "ftp://x.example", e[] = "https://", f[] = "https://a.example/path",
         g[] = "shop.example", h[] = "https://a b";
    CHECK(!chat_origin_normalise(d));
    CHECK(!chat_origin_normalise(e));
    CHECK(!chat_origin_normalise(f));
    CHECK(!chat_origin_normalise(g));
    CHECK(!chat_origin_normalise(h));
}

static void test_origin_allowed(void)
{
    const char *list = "[\"https://shop.example\",\"http://localhost:8080\"]";
    CHECK(chat_origin_allowed(list, "https://shop.example"));
    CHECK(chat_origin_allowed(list, "HTTPS://SHOP.EXAMPLE"));
    CHECK(chat_origin_allowed(list, "http://localhost:8080"));
    CHECK(!chat_origin_allowed(list, "http://localhost"));
    CHECK(!chat_origin_allowed(list, "https://shop.example.evil"));
    CHECK(!chat_origin_allowed(list, NULL));
    CHECK(!chat_origin_allowed("[]", "https://shop.example"));
    CHECK(!chat_origin_allowed(NULL, "https://shop.example"));
    CHECK(!chat_origin_allowed("not json", "https://shop.example"));
    CHECK(!chat_origin_allowed("{\"a\":1}", "https://shop.example"));
    /* "*": any page, even one that sends no Origin (an app's web view). */
    CHECK(chat_origin_allowed("[\"*\"]", "https://anything.example"));
    CHECK(chat_origin_allowed("[\"*\"]", NULL));
}

static void test_status_ended(void)
{
    CHECK(chat_status_ended("closed") && chat_status_ended("missed") &&
          chat_status_ended("abandoned") && chat_status_ended(NULL));
    CHECK(!chat_status_ended("waiting") && !chat_status_ended("active") &&
          !chat_status_ended("transferring"));
}

const struct ut_case ut_chat_cases[] = {
    {"origin_normalise", test_origin_normalise},
    {"origin_allowed", test_origin_allowed},
    {"status_ended", test_status_ended},
    {NULL, NULL},
};
