/* CSV both ways (csv.h). */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ---- writing ---------------------------------------------------------------------------- */

static bool needs_quotes(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

static bool looks_like_formula(const char *s, size_t len)
{
    return len > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                       s[0] == '\t' || s[0] == '\r');
}

void csv_cell(struct buf *b, const char *s, size_t len, bool first)
{
    if (!first)
        buf_add(b, ",", 1);
    if (s == NULL || len == 0)
        return;
    bool quote = needs_quotes(s, len);
    if (quote)
        buf_add(b, "\"", 1);
    if (looks_like_formula(s, len))
        buf_add(b, "'", 1);
    size_t from = 0;
    for (size_t i = 0; quote && i < len; i++) {
        if (s[i] == '"') {
            buf_add(b, s + from, i + 1 - from);
            buf_add(b, "\"", 1);
            from = i + 1;
        }
    }
    buf_add(b, s + from, len - from);
    if (quote)
        buf_add(b, "\"", 1);
}

void csv_cell_str(struct buf *b, const char *s, bool first)
{
    csv_cell(b, s, s ? strlen(s) : 0, first);
}

void csv_cell_number(struct buf *b, const char *s, bool first)
{
    if (!first)
        buf_add(b, ",", 1);
    if (s != NULL)
        buf_str(b, s);
}

void csv_end_record(struct buf *b)
{
    buf_add(b, "\r\n", 2);
}

/* ---- reading ---------------------------------------------------------------------------- */

void csv_reader_init(struct csv_reader *rd, FILE *f)
{
    memset(rd, 0, sizeof(*rd));
    rd->f = f;
}

void csv_reader_free(struct csv_reader *rd)
{
    free(rd->text);
    rd->text = NULL;
}

static int put(struct csv_reader *rd, char c)
{
    if (rd->len + 1 >= rd->cap) {
        if (rd->cap >= CSV_MAX_RECORD)
            return -1;
        size_t cap = rd->cap ? rd->cap * 2 : 1024;
        char *t = realloc(rd->text, cap);
        if (t == NULL)
            return -2;
        rd->text = t;
        rd->cap = cap;
    }
    rd->text[rd->len++] = c;
    return 0;
}

/* Ends the current field; -1 when there are too many. */
static int end_field(struct csv_reader *rd)
{
    int rc = put(rd, '\0');
    if (rc != 0)
        return rc;
    if (rd->nfields >= CSV_MAX_FIELDS)
        return -1;
    rd->start[rd->nfields++] = rd->len;
    return 0;
}

/* Skips the rest of a bad record's line. */
static int bad(struct csv_reader *rd, const char *why, int c)
{
    while (c != EOF && c != '\n') {
        c = getc(rd->f);
        rd->line += c == '\n';
    }
    rd->error = why;
    return -1;
}

enum { S_START, S_PLAIN, S_QUOTED, S_AFTER_QUOTE };

int csv_read(struct csv_reader *rd)
{
    int state = S_START, c;
    rd->len = 0;
    rd->nfields = 1;
    rd->start[0] = 0;
    rd->error = NULL;
    rd->record_line = rd->line + 1;
    bool any = false;
    while ((c = getc(rd->f)) != EOF) {
        if (c == '\n')
            rd->line++;
        if (state == S_QUOTED) {
            if (c == '"')
                state = S_AFTER_QUOTE;
            else if (put(rd, (char)c) != 0)
                return bad(rd, "the record is too long", c);
            continue;
        }
        if (state == S_AFTER_QUOTE && c == '"') {
            state = S_QUOTED;
            if (put(rd, '"') != 0)
                return bad(rd, "the record is too long", c);
            continue;
        }
        if (c == '\r')
            continue;
        if (c == '\n') {
            if (!any && rd->len == 0 && state == S_START) {
                rd->record_line = rd->line + 1;
                continue; /* a blank line */
            }
            int rc = put(rd, '\0');
            return rc == 0 ? 1 : rc;
        }
        any = true;
        if (c == ',') {
            int rc = end_field(rd);
            if (rc != 0)
                return rc == -2 ? rc : bad(rd, "the record has too many fields", c);
            state = S_START;
        } else if (state == S_AFTER_QUOTE) {
            return bad(rd, "text after a closing quote", c);
        } else if (state == S_START && c == '"') {
            state = S_QUOTED;
        } else {
            state = S_PLAIN;
            if (put(rd, (char)c) != 0)
                return bad(rd, "the record is too long", c);
        }
    }
    if (state == S_QUOTED) {
        rd->error = "a quote is never closed";
        return -1;
    }
    if (!any && rd->len == 0)
        return 0;
    int rc = put(rd, '\0');
    return rc == 0 ? 1 : rc;
}

const char *csv_field(const struct csv_reader *rd, size_t i)
{
    if (i >= rd->nfields || rd->text == NULL)
        return "";
    return rd->text + rd->start[i];
}
