#ifndef SB_KEYSET_H
#define SB_KEYSET_H
/*
 * Keyset cursors of lists ordered newest first by (time, id): the cursor is
 * base64url("<time>|<id>") of the last row a page showed, and the next page is the rows
 * strictly after it, found by an index range, so any depth costs one page. The time is
 * the column's text as MariaDB gives it ("YYYY-MM-DD HH:MM:SS", with up to six
 * fractional digits). The call logs and the CDR list use them.
 */
struct request;

/* 0 with *time and *id (arena), or -1 when text is not a cursor this server issued. */
int keyset_decode(struct request *r, const char *text, const char **time, const char **id);
/* The cursor of a row (arena), NULL when out of memory. */
char *keyset_encode(struct request *r, const char *time, const char *id);

#endif
