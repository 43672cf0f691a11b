/* lead_import.h's pure parts: header names, one row's checks, a file read without the
 * database; and lead_store_datetime. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "lead_import.h"
#include "lead_store.h"
#include "unit.h"

static void columns(void)
{
    CHECK_EQ_INT(lead_import_column("firstName"), LC_FIRST);
    CHECK_EQ_INT(lead_import_column("first_name"), LC_FIRST);
    CHECK_EQ_INT(lead_import_column(" FIRSTNAME "), LC_FIRST);
    CHECK_EQ_INT(lead_import_column("phoneNumber"), LC_PHONE);
    CHECK_EQ_INT(lead_import_column("phone_number"), LC_PHONE);
    CHECK_EQ_INT(lead_import_column("Phone"), LC_PHONE);
    CHECK_EQ_INT(lead_import_column("campaignId"), LC_CAMPAIGN);
    CHECK_EQ_INT(lead_import_column("time_zone"), LC_ZONE);
    CHECK_EQ_INT(lead_import_column("notes"), LC_NOTES);
    CHECK_EQ_INT(lead_import_column("phon"), -1);
    CHECK_EQ_INT(lead_import_column(""), -1);
    CHECK_EQ_INT(lead_import_column("first name"), -1);
}

/* Checks a row given as {first, last, phone, email, company, campaign, zone, notes}. */
static int row(const char *phone, const char *email, const char *zone, const char **field,
               const char **message, char *out)
{
    const char *v[LC_N] = {"Ann", NULL, phone, email, NULL, NULL, zone, NULL};
    return lead_import_check_row(v, out, 24, field, message);
}

static void row_checks(void)
{
    const char *field = NULL, *message = NULL;
    char phone[24];
    CHECK_EQ_INT(row("+1 (555) 010-1234", "a@example.test", "Europe/Paris", &field, &message,
                     phone), 0);
    CHECK_EQ_STR(phone, "+15550101234");
    CHECK_EQ_INT(row("555.010.1234", NULL, NULL, &field, &message, phone), 0);
    CHECK_EQ_STR(phone, "+5550101234");
    CHECK_EQ_INT(row(NULL, NULL, NULL, &field, &message, phone), -1);
    CHECK_EQ_STR(field, "phone");
    CHECK_EQ_STR(message, "Phone number is required");
    CHECK_EQ_INT(row("12-34", NULL, NULL, &field, &message, phone), -1);
    CHECK_EQ_STR(field, "phone");
    CHECK_EQ_STR(message, "Invalid phone number format");
    CHECK_EQ_INT(row("+15550101234", "nope", NULL, &field, &message, phone), -1);
    CHECK_EQ_STR(field, "email");
    CHECK_EQ_INT(row("+15550101234", NULL, "Mars/Olympus", &field, &message, phone), -1);
    CHECK_EQ_STR(field, "timeZone");
    CHECK_EQ_INT(row("+15550101234", NULL, "../../etc/passwd", &field, &message, phone), -1);
    CHECK_EQ_STR(field, "timeZone");
    char long_name[120];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    const char *v[LC_N] = {long_name, NULL, "+15550101234", NULL, NULL, NULL, NULL, NULL};
    CHECK_EQ_INT(lead_import_check_row(v, phone, sizeof(phone), &field, &message), -1);
    CHECK_EQ_STR(field, "firstName");
    const char *bad_utf8[LC_N] = {"\xff", NULL, "+15550101234", NULL, NULL, NULL, NULL, NULL};
    CHECK_EQ_INT(lead_import_check_row(bad_utf8, phone, sizeof(phone), &field, &message), -1);
}

static int parse(struct lead_import *im, const char *text)
{
    memset(im, 0, sizeof(*im));
    im->a = arena_create(4096);
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc = f && im->a ? lead_import_parse(im, f) : -2;
    if (f)
        fclose(f);
    return rc;
}

static void parse_file(void)
{
    struct lead_import im;
    const char *text = "Phone,first_name,Ignored,EMAIL\r\n"
                       "+1 555 010 1234,Ann,x,ANN@Example.test\r\n"
                       "bad,Bob,,\r\n"
                       "\r\n"
                       "\"555-010-9999\",\"Multi\nLine\",,\r\n"
                       "+15550101234,\"broken\"x,,\r\n";
    CHECK_EQ_INT(parse(&im, text), 0);
    CHECK_EQ_INT((int)im.nrows, 2);
    CHECK_EQ_INT((int)im.nerrors, 2);
    CHECK_EQ_INT((int)im.parse_errors, 2);
    if (im.nrows == 2 && im.nerrors == 2) {
        CHECK_EQ_STR(im.rows[0].phone, "+15550101234");
        CHECK_EQ_STR(im.rows[0].v[LC_PHONE], "+1 555 010 1234");
        CHECK_EQ_STR(im.rows[0].v[LC_EMAIL], "ann@example.test");
        CHECK_EQ_INT((int)im.rows[0].line, 2);
        CHECK_EQ_STR(im.rows[1].v[LC_FIRST], "Multi\nLine");
        CHECK_EQ_INT((int)im.rows[1].line, 5);
        CHECK_EQ_INT((int)im.errors[0].row, 3);
        CHECK_EQ_STR(im.errors[0].field, "phone");
        CHECK_EQ_INT((int)im.errors[1].row, 7);
        CHECK_NULL(im.errors[1].field);
    }
    CHECK_EQ_INT((int)lead_import_rejected(&im), 2);
    arena_destroy(im.a);
    CHECK_EQ_INT(parse(&im, "name,email\nA,a@b.co\n"), -1);
    CHECK_NOT_NULL(im.fatal);
    arena_destroy(im.a);
    CHECK_EQ_INT(parse(&im, ""), -1);
    CHECK_NOT_NULL(im.fatal);
    arena_destroy(im.a);
}

static void sort_errors(void)
{
    struct lead_import im = {0};
    struct lead_import_error e[] = {{9, "phone", "a"}, {2, "email", "b"}, {5, NULL, "c"}};
    im.errors = e;
    im.nerrors = 3;
    lead_import_sort_errors(&im);
    CHECK_EQ_INT((int)e[0].row, 2);
    CHECK_EQ_INT((int)e[1].row, 5);
    CHECK_EQ_INT((int)e[2].row, 9);
}

static void datetimes(void)
{
    char out[24];
    CHECK_EQ_INT(lead_store_datetime("2026-01-02T10:00:00Z", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "2026-01-02 10:00:00");
    CHECK_EQ_INT(lead_store_datetime("2026-01-02T10:00:00+02:00", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "2026-01-02 08:00:00");
    CHECK_EQ_INT(lead_store_datetime("2026-01-02", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "2026-01-02 00:00:00");
    CHECK(lead_store_datetime("soon", out, sizeof(out)) != 0);
    CHECK(lead_store_datetime(NULL, out, sizeof(out)) != 0);
    CHECK(lead_store_zone_known("Europe/Paris"));
    CHECK(!lead_store_zone_known("Mars/Olympus"));
    CHECK(!lead_store_zone_known(""));
}

const struct ut_case ut_lead_import_cases[] = {
    {"columns", columns},
    {"row_checks", row_checks},
    {"parse_file", parse_file},
    {"sort_errors", sort_errors},
    {"datetimes", datetimes},
    {NULL, NULL},
};
