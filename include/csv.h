#ifndef SB_CSV_H
#define SB_CSV_H
/*
 * CSV, RFC 4180, both ways.
 *
 * Writing (exports): a cell is quoted when it holds a comma, a quote, CR or LF (quotes
 * doubled); records end with CRLF. A cell that a spreadsheet would run as a formula (its
 * first character is = + - @, or a tab or CR that some spreadsheets skip first) gets a
 * leading ' so it shows as text (OWASP "CSV injection"). csv_cell_number() writes a
 * number as it is: a negative number is data, not a formula.
 *
 * Reading (imports, e.g. Asterisk's Master.csv): fields may be quoted ("" is a quote inside
 * one) and a quoted field may span lines; records end with LF or CRLF. A record that is
 * not CSV (text after a closing quote, a quote left open at the end of the file) is
 * reported as bad and skipped up to its end, so one broken line does not stop an import.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct buf;

/* ---- writing ---- */

/* Appends one cell (a ',' before it unless first): s[0..len), s may be NULL (empty). */
void csv_cell(struct buf *b, const char *s, size_t len, bool first);
/* The same for a NUL-terminated text (NULL: empty). */
void csv_cell_str(struct buf *b, const char *s, bool first);
/* A numeric cell, unquoted and unprotected (the caller vouches that it is a number). */
void csv_cell_number(struct buf *b, const char *s, bool first);
/* Ends the record: CRLF. */
void csv_end_record(struct buf *b);

/* ---- reading ---- */

#define CSV_MAX_FIELDS 64
#define CSV_MAX_RECORD (1u << 20)

struct csv_reader {
    FILE *f;
    char *text; /* the record's fields, each NUL-terminated */
    size_t len, cap;
    size_t start[CSV_MAX_FIELDS];
    size_t nfields; /* of the last record */
    long line;        /* lines read so far */
    long record_line; /* the line the last record began on (1-based) */
    const char *error; /* why the last record was bad */
};

/* f is read from its current position; the reader does not close it. */
void csv_reader_init(struct csv_reader *rd, FILE *f);
void csv_reader_free(struct csv_reader *rd);
/*
 * The next record: 1 (fields in csv_field), 0 at the end, -1 for a bad record (rd->error
 * says why; the next call goes on after it), -2 when out of memory. Blank lines are skipped.
 */
int csv_read(struct csv_reader *rd);
/* Field i of the last record ("" past the last one). */
const char *csv_field(const struct csv_reader *rd, size_t i);

#endif
