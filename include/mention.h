#ifndef SB_MENTION_H
#define SB_MENTION_H
/*
 * Mentions in what staff write (a ticket's reply or internal note): "@" and a user's e-mail
 * address ("ask @jane@example.com"), at the start of the text or after a character that is
 * not part of an address, so an address written plainly ("mail jane@example.com") mentions
 * nobody. A mentioned user of the tenant gets a notification (notify.h).
 */
#include <stddef.h>

struct request;

/* The most mentions one text notifies (the rest are ignored). */
#define MENTION_MAX 10
#define MENTION_ADDR_MAX 254

/* The distinct addresses mentioned in text, in order, at most max (each NUL-terminated,
 * lower-case) into out; how many. Pure. */
size_t mention_scan(const char *text, char out[][MENTION_ADDR_MAX + 1], size_t max);

/*
 * Inside the caller's transaction: each user of the tenant whose address is one of
 * addrs[0..n) (mention_scan of text), other than the writer, is notified (type "mention",
 * the title given, text as the body, data_json what it is about). Addresses of nobody in
 * the tenant are ignored. The caller scans first, so a text that mentions nobody costs no
 * query. DB_OK or a db_rc.
 */
int mention_notify(struct request *r, char addrs[][MENTION_ADDR_MAX + 1], size_t n,
                   const char *text, const char *title, const char *data_json);

#endif
