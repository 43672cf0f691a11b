#ifndef SB_LEAD_IMPORT_H
#define SB_LEAD_IMPORT_H
/*
 * CSV import of leads (issue 10): POST /api/leads/import (src/routes/leads.c) and
 * switchboard-admin import-leads share it.
 *
 * The file has a header row naming its columns: firstName, lastName, phone, email, company,
 * campaignId, timeZone, notes (snake_case too: first_name…; phoneNumber and phone_number
 * for phone; any case); unknown columns are ignored, phone is required. Reading
 * (lead_import_parse) checks each row on its own: the phone (coldcaller's rule: 8 to 16
 * digits, an optional +, separators), the e-mail, the zone, the lengths. Writing
 * (lead_import_write, inside the caller's transaction) checks what needs the database
 * (the campaign is the tenant's, the number is not on the do-not-call list) and inserts
 * the good rows, each with the next lead number. A bad row is rejected with its line
 * number (the header is line 1), the column and why; the others are imported.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct arena;
struct db;

enum lead_col { LC_FIRST, LC_LAST, LC_PHONE, LC_EMAIL, LC_COMPANY, LC_CAMPAIGN, LC_ZONE,
                LC_NOTES, LC_N };

/* At most this many data rows in one file (more: the file is refused). */
#define LEAD_IMPORT_MAX_ROWS 100000

struct lead_row {
    long line;              /* where the record began in the file */
    const char *v[LC_N];    /* the cells (NULL: empty or no such column); arena */
    const char *phone;      /* v[LC_PHONE] normalised ("+digits") */
};

struct lead_import_error {
    long row;            /* the line of the file (the header is 1) */
    const char *field;   /* the column's name (camelCase) */
    const char *message;
};

struct lead_import {
    struct arena *a;     /* everything below lives in it */
    struct lead_row *rows; /* the rows that passed lead_import_parse */
    size_t nrows, rows_cap;
    struct lead_import_error *errors;
    size_t nerrors, errors_cap;
    size_t parse_errors; /* errors from the parse alone (a retried write starts there) */
    long imported;       /* rows written by lead_import_write so far */
    const char *fatal;   /* why the whole file was refused (no header, no phone column…) */
};

/* The column a header cell names (any case, camelCase or snake_case), or -1. Pure. */
int lead_import_column(const char *header);

/*
 * One row's cells (v[LC_N], NULL for empty) checked on their own: 0 with the phone as
 * "+digits" in phone (at least 18 bytes), or -1 with *field (camelCase) and *message.
 * Pure (the zone is looked up in the system's zoneinfo).
 */
int lead_import_check_row(const char *const *v, char *phone, size_t size, const char **field,
                          const char **message);

/* Reads the CSV from f into im (im->a set, the rest zeroed). 0, or -1 with im->fatal set
 * (out of memory, no header, no phone column, too many rows). */
int lead_import_parse(struct lead_import *im, FILE *f);

/*
 * Inside the caller's transaction: rows [from, to) of im checked against the tenant
 * (campaign, do-not-call list) and the good ones inserted as leads of tenant; rejected
 * ones added to im->errors, written ones counted in im->imported. DB_OK or a db_rc.
 */
int lead_import_write(struct db *db, struct arena *a, const char *tenant,
                      struct lead_import *im, size_t from, size_t to);

/* The rows rejected so far (parse and write). */
long lead_import_rejected(const struct lead_import *im);

/* Orders im->errors by row (parse and write errors interleave). */
void lead_import_sort_errors(struct lead_import *im);

#endif
