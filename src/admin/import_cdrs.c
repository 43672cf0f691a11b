/*
 * switchboard-admin import-cdrs --tenant ID FILE: a contact center's history from
 * Asterisk's cdr_csv Master.csv, through the CDR writer (cdr_store.h), so the KPI buckets
 * fill as if the calls had been taken here.
 *
 * Columns, in cdr_csv's order: accountcode, src, dst, dcontext, clid, channel, dstchannel,
 * lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags, then
 * (loguniqueid, loguserfield) uniqueid, userfield, and in newer versions peeraccount,
 * linkedid, sequence. Times are UTC (cdr.conf usegmtime=yes), or the wall clock of
 * --timezone ZONE (Asterisk's default: the server's local time).
 *
 * A row whose lastapp is Queue is a queue call: the first field of lastdata (',' or the
 * old '|') names the queue, which maps to the tenant's queue of that name (an unknown name:
 * no queue). A queue call not answered was abandoned. wait = answer - start, or the whole
 * duration when not answered. Rows are written in batches, one transaction each; a row
 * already imported (its uniqueid, or the digest of its fields when it has none) is
 * skipped, so importing a file twice adds nothing. A bad row is reported with its line
 * number and skipped.
 */
#include "import_cdrs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "arena.h"
#include "cdr_store.h"
#include "crypto.h"
#include "csv.h"
#include "db.h"
#include "jsonutil.h"

#define BATCH_ROWS 200

enum { A_ACCOUNT, A_SRC, A_DST, A_DCONTEXT, A_CLID, A_CHANNEL, A_DSTCHANNEL, A_LASTAPP,
       A_LASTDATA, A_START, A_ANSWER, A_END, A_DURATION, A_BILLSEC, A_DISPOSITION, A_AMAFLAGS,
       A_UNIQUEID, A_USERFIELD, A_PEERACCOUNT, A_LINKEDID, A_MIN_FIELDS = A_UNIQUEID };

struct import {
    struct db *db;
    struct arena *a; /* reset after each batch */
    const char *tenant;
    struct db_result *queues; /* id, name, service_level, short_abandon_seconds */
    struct arena *qa;         /* the queues' arena, for the whole run */
    bool local;               /* times are wall clock in TZ (set for the run), not UTC */
    long imported, skipped, bad, in_batch;
};

static const char *field(const struct csv_reader *rd, size_t i)
{
    return csv_field(rd, i);
}

static int parse_count(const char *s, long long *out)
{
    char *end;
    if (s == NULL || !isdigit((unsigned char)s[0]))
        return -1;
    *out = strtoll(s, &end, 10);
    return *end == '\0' && *out >= 0 && *out < 100000000 ? 0 : -1;
}

static const char *disposition_of(const char *s)
{
    static const char *const map[][2] = {{"ANSWERED", "answered"}, {"NO ANSWER", "no_answer"},
                                         {"BUSY", "busy"},         {"FAILED", "failed"},
                                         {"CONGESTION", "congestion"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcasecmp(s, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

/* The tenant's queue named like lastdata's first field: its row, or -1. */
static long queue_row(const struct import *im, const char *lastdata)
{
    size_t n = strcspn(lastdata, ",|");
    for (size_t i = 0; i < im->queues->nrows; i++) {
        const char *name = db_get(im->queues, i, "name");
        if (name != NULL && strlen(name) == n && strncasecmp(name, lastdata, n) == 0)
            return (long)i;
    }
    return -1;
}

/* An extension is a short number (Asterisk's internal peers). */
static bool is_extension(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 6 && strspn(s, "0123456789") == n;
}

/* `"Alice" <100>` -> "Alice" (NULL when there is no quoted name). */
static const char *clid_name(struct arena *a, const char *clid)
{
    const char *q = strchr(clid, '"');
    const char *e = q ? strchr(q + 1, '"') : NULL;
    return e != NULL && e > q + 1 ? arena_strndup(a, q + 1, (size_t)(e - q - 1)) : NULL;
}

/* What of the row has no column of its own: kept in metadata. */
static const char *row_metadata(struct import *im, const struct csv_reader *rd)
{
    static const struct { const char *key; size_t col; } keep[] = {
        {"accountcode", A_ACCOUNT}, {"dcontext", A_DCONTEXT}, {"channel", A_CHANNEL},
        {"dstchannel", A_DSTCHANNEL}, {"lastapp", A_LASTAPP}, {"lastdata", A_LASTDATA},
        {"amaflags", A_AMAFLAGS}, {"userfield", A_USERFIELD}};
    struct json_object *o = arena_json(im->a, json_object_new_object());
    if (o == NULL || json_set_str(o, "source", "asterisk") != 0)
        return NULL;
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        if (field(rd, keep[i].col)[0] != '\0' &&
            json_set_str(o, keep[i].key, field(rd, keep[i].col)) != 0)
            return NULL;
    return json_text(o, NULL);
}

/* "asterisk:<uniqueid>", or a digest of the fields when the file has no uniqueid. */
static const char *import_ref(struct import *im, const struct csv_reader *rd)
{
    const char *u = field(rd, A_UNIQUEID);
    if (u[0] != '\0' && strlen(u) <= 64)
        return arena_printf(im->a, "asterisk:%s", u);
    char hex[65];
    size_t len = rd->len;
    crypto_sha256_hex(rd->text, len, hex);
    return arena_printf(im->a, "sha256:%s", hex);
}

/* A time of the file as Unix seconds: UTC, or the wall clock of the run's TZ. 0 or -1. */
static int file_time(const struct import *im, const char *s, long long *out)
{
    bool date_only;
    long long wall;
    if (cdr_parse_time(s, &wall, &date_only) != 0)
        return -1;
    if (!im->local) {
        *out = wall;
        return 0;
    }
    time_t t = (time_t)wall;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return -1;
    tm.tm_isdst = -1; /* the zone's rules say whether summer time applied */
    time_t local = mktime(&tm);
    if (local == (time_t)-1)
        return -1;
    *out = (long long)local;
    return 0;
}

/* The row as a CDR: 0, or -1 with *why set when it is not one. */
static int row_cdr(struct import *im, const struct csv_reader *rd, struct cdr *c,
                   const char **why)
{
    long long answer = 0, end = 0;
    memset(c, 0, sizeof(*c));
    c->wait = -1;
    *why = NULL;
    if (rd->nfields < A_MIN_FIELDS)
        *why = "fewer than 16 columns";
    else if (file_time(im, field(rd, A_START), &c->start) != 0)
        *why = "start is not a time";
    else if (field(rd, A_ANSWER)[0] != '\0' &&
             file_time(im, field(rd, A_ANSWER), &answer) != 0)
        *why = "answer is not a time";
    else if (field(rd, A_END)[0] != '\0' &&
             file_time(im, field(rd, A_END), &end) != 0)
        *why = "end is not a time";
    else if (parse_count(field(rd, A_DURATION), &c->duration) != 0 ||
             parse_count(field(rd, A_BILLSEC), &c->billsec) != 0 || c->billsec > c->duration)
        *why = "duration or billsec is not a count of seconds (billsec <= duration)";
    else if ((c->disposition = disposition_of(field(rd, A_DISPOSITION))) == NULL)
        *why = "disposition is not ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION";
    else if ((answer > 0 && answer < c->start) || (end > 0 && end < c->start))
        *why = "answer or end is before start";
    if (*why != NULL)
        return -1;
    bool answered = strcmp(c->disposition, "answered") == 0;
    c->answer = answered ? answer : 0;
    c->end = end;
    c->caller_number = field(rd, A_SRC);
    c->called_number = field(rd, A_DST);
    c->caller_name = clid_name(im->a, field(rd, A_CLID));
    c->uniqueid = field(rd, A_UNIQUEID)[0] ? field(rd, A_UNIQUEID) : NULL;
    c->linkedid = field(rd, A_LINKEDID)[0] ? field(rd, A_LINKEDID) : NULL;
    c->import_ref = import_ref(im, rd);
    c->metadata_json = row_metadata(im, rd);
    long q = strcasecmp(field(rd, A_LASTAPP), "Queue") == 0
                 ? queue_row(im, field(rd, A_LASTDATA))
                 : -1;
    if (q >= 0) {
        c->queue_id = db_get(im->queues, (size_t)q, "id");
        c->sl_threshold = db_get_int(im->queues, (size_t)q, "service_level", 0);
        c->short_abandon_seconds = db_get_int(im->queues, (size_t)q, "short_abandon_seconds", 0);
        c->direction = "inbound";
        if (!answered)
            c->disposition = "abandoned";
    } else if (is_extension(c->caller_number)) {
        c->direction = is_extension(c->called_number) ? "internal" : "outbound";
    } else {
        c->direction = "inbound";
    }
    c->wait = answered ? c->answer - c->start : c->duration;
    if (c->import_ref == NULL || c->metadata_json == NULL) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

static int batch_end(struct import *im, bool commit)
{
    int rc = DB_OK;
    if (im->in_batch > 0 || commit)
        rc = commit ? db_commit(im->db) : (db_rollback(im->db), DB_OK);
    im->in_batch = 0;
    arena_reset(im->a);
    return rc;
}

/* One parsed row into the current batch. DB_OK, or a db_rc that stops the import. */
static int import_row(struct import *im, const struct csv_reader *rd, FILE *err)
{
    struct cdr c;
    const char *why;
    if (row_cdr(im, rd, &c, &why) != 0) {
        fprintf(err, "line %ld: %s; skipped\n", rd->record_line, why);
        im->bad++;
        return why && strcmp(why, "out of memory") == 0 ? DB_ERROR : DB_OK;
    }
    if (im->in_batch == 0) {
        int rc = db_begin(im->db);
        if (rc != DB_OK)
            return rc;
    }
    im->in_batch++;
    int rc = cdr_store_write(im->db, im->a, im->tenant, &c, NULL);
    if (rc == DB_OK)
        im->imported++;
    else if (rc == DB_DUPLICATE)
        im->skipped++;
    else if (rc == DB_CONSTRAINT || rc == DB_FOREIGN_KEY) {
        fprintf(err, "line %ld: the database refused it (%s); skipped\n", rd->record_line,
                db_last_error(im->db));
        im->bad++;
    } else
        return rc;
    return im->in_batch >= BATCH_ROWS ? batch_end(im, true) : DB_OK;
}

static int load_queues(struct import *im)
{
    struct db_result *t;
    int rc = db_exec(im->db, im->qa, "SELECT id FROM tenants WHERE id = ?",
                     DB_PARAMS(DB_STR(im->tenant)), &t);
    if (rc != DB_OK)
        return rc;
    if (t->nrows == 0)
        return 1;
    /* Every column: short_abandon_seconds belongs to the queues' own migration (008). */
    return db_exec(im->db, im->qa, "SELECT * FROM queues WHERE tenant_id = ?",
                   DB_PARAMS(DB_STR(im->tenant)), &im->queues);
}

/* The file's zone for the run (TZ: the tool is one thread). 0, or -1 when unknown. */
static int set_zone(struct import *im, const char *zone)
{
    char path[160];
    if (zone == NULL || strcmp(zone, "UTC") == 0)
        return 0;
    if (zone[0] == '\0' || zone[0] == '/' || strstr(zone, "..") != NULL || strlen(zone) > 64)
        return -1;
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
    if (access(path, R_OK) != 0 || setenv("TZ", zone, 1) != 0)
        return -1;
    tzset();
    im->local = true;
    return 0;
}

int import_cdrs(struct db *db, const char *tenant, const char *path, const char *zone,
                FILE *out, FILE *err)
{
    struct import im = {.db = db, .tenant = tenant};
    struct csv_reader rd;
    FILE *f = fopen(path, "r");
    int rc = 2, got;
    im.a = arena_create(64 * 1024);
    im.qa = arena_create(16 * 1024);
    csv_reader_init(&rd, f);
    if (f == NULL || im.a == NULL || im.qa == NULL) {
        fprintf(err, "switchboard-admin: cannot open %s or out of memory\n", path);
        goto out;
    }
    if (set_zone(&im, zone) != 0) {
        fprintf(err, "switchboard-admin: unknown time zone %s\n", zone);
        goto out;
    }
    int lq = load_queues(&im);
    if (lq != DB_OK) {
        fprintf(err, "switchboard-admin: %s\n", lq == 1 ? "no such tenant" : db_last_error(db));
        goto out;
    }
    int wrc = DB_OK;
    while (wrc == DB_OK && (got = csv_read(&rd)) != 0) {
        if (got == -2) {
            wrc = DB_ERROR;
        } else if (got == -1) {
            fprintf(err, "line %ld: %s; skipped\n", rd.record_line, rd.error);
            im.bad++;
        } else {
            wrc = import_row(&im, &rd, err);
        }
    }
    if (wrc == DB_OK)
        wrc = batch_end(&im, im.in_batch > 0);
    else
        batch_end(&im, false);
    fprintf(out, "imported %ld, already there %ld, bad %ld (%ld lines)\n", im.imported,
            im.skipped, im.bad, rd.line);
    if (wrc != DB_OK) {
        fprintf(err, "switchboard-admin: the import stopped: %s (the last batch was rolled"
                     " back; run it again to finish)\n", db_last_error(db));
        goto out;
    }
    rc = 0;
out:
    csv_reader_free(&rd);
    if (f != NULL)
        fclose(f);
    arena_destroy(im.a);
    arena_destroy(im.qa);
    return rc;
}
