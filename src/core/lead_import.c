/* CSV import of leads (lead_import.h): each row checked alone, then against the tenant. */
#include "lead_import.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "crypto.h"
#include "csv.h"
#include "db.h"
#include "lead_store.h"
#include "validate.h"

/* The columns' names in errors, and every header that names each. */
static const char *const col_names[LC_N] = {"firstName", "lastName", "phone",  "email",
                                            "company",   "campaignId", "timeZone", "notes"};
static const char *const col_headers[][4] = {
    [LC_FIRST] = {"firstname", "first_name", NULL},
    [LC_LAST] = {"lastname", "last_name", NULL},
    [LC_PHONE] = {"phone", "phonenumber", "phone_number", NULL},
    [LC_EMAIL] = {"email", NULL},
    [LC_COMPANY] = {"company", NULL},
    [LC_CAMPAIGN] = {"campaignid", "campaign_id", NULL},
    [LC_ZONE] = {"timezone", "time_zone", NULL},
    [LC_NOTES] = {"notes", NULL},
};
/* The most characters each column holds (its column's size in contacts and campaigns). */
static const size_t col_max[LC_N] = {100, 100, 64, 255, 255, 64, 64, 16000};

int lead_import_column(const char *header)
{
    while (*header == ' ' || *header == '\t')
        header++;
    size_t n = strlen(header);
    while (n > 0 && (header[n - 1] == ' ' || header[n - 1] == '\t'))
        n--;
    for (int c = 0; c < LC_N; c++)
        for (size_t i = 0; col_headers[c][i] != NULL; i++)
            if (strlen(col_headers[c][i]) == n && strncasecmp(col_headers[c][i], header, n) == 0)
                return c;
    return -1;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int lead_import_check_row(const char *const *v, char *phone, size_t size, const char **field,
                          const char **message)
{
    *field = NULL;
    for (int c = 0; c < LC_N; c++) {
        if (v[c] != NULL && (validate_text(v[c], strlen(v[c])) != 0 || chars(v[c]) > col_max[c])) {
            *field = col_names[c];
            *message = "is too long or not text";
            return -1;
        }
    }
    if (v[LC_PHONE] == NULL) {
        *field = col_names[LC_PHONE];
        *message = "Phone number is required";
    } else if (validate_phone_loose(v[LC_PHONE], strlen(v[LC_PHONE]), phone, size) != 0) {
        *field = col_names[LC_PHONE];
        *message = "Invalid phone number format";
    } else if (v[LC_EMAIL] != NULL && validate_email(v[LC_EMAIL], strlen(v[LC_EMAIL])) != 0) {
        *field = col_names[LC_EMAIL];
        *message = "Invalid email address";
    } else if (v[LC_ZONE] != NULL && !lead_store_zone_known(v[LC_ZONE])) {
        *field = col_names[LC_ZONE];
        *message = "Unknown time zone (an IANA name like Europe/Paris)";
    }
    return *field == NULL ? 0 : -1;
}

static int add_error(struct lead_import *im, long row, const char *field, const char *message)
{
    if (im->nerrors == im->errors_cap) {
        size_t cap = im->errors_cap ? im->errors_cap * 2 : 16;
        struct lead_import_error *e = arena_alloc(im->a, cap * sizeof(*e));
        if (e == NULL)
            return -1;
        if (im->nerrors > 0)
            memcpy(e, im->errors, im->nerrors * sizeof(*e));
        im->errors = e;
        im->errors_cap = cap;
    }
    im->errors[im->nerrors++] = (struct lead_import_error){row, field, message};
    return 0;
}

static struct lead_row *add_row(struct lead_import *im)
{
    if (im->nrows == im->rows_cap) {
        size_t cap = im->rows_cap ? im->rows_cap * 2 : 64;
        struct lead_row *rows = arena_alloc(im->a, cap * sizeof(*rows));
        if (rows == NULL)
            return NULL;
        if (im->nrows > 0)
            memcpy(rows, im->rows, im->nrows * sizeof(*rows));
        im->rows = rows;
        im->rows_cap = cap;
    }
    struct lead_row *row = &im->rows[im->nrows++];
    memset(row, 0, sizeof(*row));
    return row;
}

/* A cell without the blanks around it, in the arena; NULL when empty. */
static const char *cell(struct arena *a, const char *s, bool lower)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return NULL;
    char *out = arena_alloc(a, n + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
    out[n] = '\0';
    return out;
}

/* One data record into a row, or an error. 0, or -1 when out of memory. */
static int take_record(struct lead_import *im, const struct csv_reader *rd, const int *map)
{
    const char *v[LC_N] = {0}, *field, *message;
    char phone[24];
    for (size_t i = 0; i < rd->nfields && i < CSV_MAX_FIELDS; i++) {
        if (map[i] < 0)
            continue;
        const char *s = csv_field(rd, i);
        v[map[i]] = cell(im->a, s, map[i] == LC_EMAIL);
        if (v[map[i]] == NULL && *s != '\0' && strspn(s, " \t\r\n") != strlen(s))
            return -1;
    }
    if (lead_import_check_row(v, phone, sizeof(phone), &field, &message) != 0)
        return add_error(im, rd->record_line, field, message);
    struct lead_row *row = add_row(im);
    if (row == NULL || (row->phone = arena_strdup(im->a, phone)) == NULL)
        return -1;
    row->line = rd->record_line;
    memcpy(row->v, v, sizeof(v));
    return 0;
}

/* The header's columns into map (-1: ignored); -1 with im->fatal when it has no phone. */
static int read_header(struct lead_import *im, struct csv_reader *rd, int *map)
{
    int rc;
    while ((rc = csv_read(rd)) == -1)
        ;
    if (rc != 1) {
        im->fatal = rc == -2 ? "Out of memory" : "The file is empty: a header row is required";
        return -1;
    }
    bool phone = false;
    for (size_t i = 0; i < CSV_MAX_FIELDS; i++) {
        map[i] = i < rd->nfields ? lead_import_column(csv_field(rd, i)) : -1;
        phone = phone || map[i] == LC_PHONE;
    }
    if (!phone) {
        im->fatal = "The header row names no phone column";
        return -1;
    }
    return 0;
}

int lead_import_parse(struct lead_import *im, FILE *f)
{
    struct csv_reader rd;
    int map[CSV_MAX_FIELDS], rc = -1;
    csv_reader_init(&rd, f);
    if (read_header(im, &rd, map) != 0)
        goto out;
    for (;;) {
        int got = csv_read(&rd);
        if (got == 0)
            break;
        if (got == -2 || (got == -1 && add_error(im, rd.record_line, NULL, rd.error) != 0) ||
            (got == 1 && take_record(im, &rd, map) != 0)) {
            im->fatal = "Out of memory";
            goto out;
        }
        if (im->nrows + im->nerrors > LEAD_IMPORT_MAX_ROWS) {
            im->fatal = "The file has too many rows (at most 100000)";
            goto out;
        }
    }
    im->parse_errors = im->nerrors;
    rc = 0;
out:
    csv_reader_free(&rd);
    return rc;
}

/* Row i against the tenant: DB_OK with *ok, or a db_rc. */
static int check_against(struct db *db, struct arena *a, const char *tenant,
                         struct lead_import *im, const struct lead_row *row, bool *ok)
{
    bool found = true, blocked = false;
    int rc = DB_OK;
    *ok = false;
    if (row->v[LC_CAMPAIGN] != NULL)
        rc = lead_store_campaign_exists(db, a, tenant, row->v[LC_CAMPAIGN], &found);
    if (rc == DB_OK && !found)
        return add_error(im, row->line, col_names[LC_CAMPAIGN], "Unknown campaign") ? DB_ERROR
                                                                                   : DB_OK;
    if (rc == DB_OK)
        rc = lead_store_dnc_blocked(db, a, tenant, row->phone, &blocked);
    if (rc == DB_OK && blocked)
        return add_error(im, row->line, col_names[LC_PHONE],
                         "Number is on the do-not-call list") ? DB_ERROR : DB_OK;
    *ok = rc == DB_OK;
    return rc;
}

static int insert_row(struct db *db, struct arena *a, const char *tenant,
                      const struct lead_row *row, long long lead_no)
{
    const char *id = id_new(a, "contact_");
    if (id == NULL)
        return DB_ERROR;
    struct lead_new l = {
        .first_name = row->v[LC_FIRST], .last_name = row->v[LC_LAST],
        .company = row->v[LC_COMPANY], .email = row->v[LC_EMAIL], .phone = row->phone,
        .phone_as_sent = row->v[LC_PHONE], .campaign_id = row->v[LC_CAMPAIGN],
        .time_zone = row->v[LC_ZONE], .notes = row->v[LC_NOTES]};
    return lead_store_insert(db, a, tenant, id, lead_no, &l);
}

int lead_import_write(struct db *db, struct arena *a, const char *tenant,
                      struct lead_import *im, size_t from, size_t to)
{
    bool *ok = arena_calloc(a, to > from ? to - from : 1, sizeof(*ok));
    long long n = 0, first = 0;
    int rc = ok ? DB_OK : DB_ERROR;
    for (size_t i = from; i < to && rc == DB_OK; i++) {
        rc = check_against(db, a, tenant, im, &im->rows[i], &ok[i - from]);
        n += ok[i - from];
    }
    /* Numbers for the good rows at once: one counter round trip per batch. */
    if (rc == DB_OK && n > 0)
        rc = lead_store_numbers(db, a, tenant, n, &first);
    for (size_t i = from; i < to && rc == DB_OK; i++)
        if (ok[i - from])
            rc = insert_row(db, a, tenant, &im->rows[i], first++);
    if (rc == DB_OK)
        im->imported += n;
    return rc;
}

long lead_import_rejected(const struct lead_import *im)
{
    return (long)im->nerrors;
}

static int by_row(const void *x, const void *y)
{
    const struct lead_import_error *a = x, *b = y;
    return (a->row > b->row) - (a->row < b->row);
}

void lead_import_sort_errors(struct lead_import *im)
{
    if (im->nerrors > 1)
        qsort(im->errors, im->nerrors, sizeof(*im->errors), by_row);
}
