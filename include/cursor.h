#ifndef SB_CURSOR_H
#define SB_CURSOR_H
/*
 * Event cursors as tenants see them. Internally an event's position is the global id of
 * its row in call_events, which counts every tenant's events; handed out as is, the gap
 * between two ids would tell a tenant how busy the others are. So a position leaves the
 * event worker only encrypted under a key of its tenant: one AES-128 block of
 * (position, 4-byte nonce, 4 fixed bytes), base64url, 22 characters. Decoding checks the
 * fixed bytes, so a cursor of another tenant (or a garbled one) is refused, not misread.
 * An event's own id has nonce 0: the same event reads the same live and in a replay.
 * A position that is no event ("now", when a stream opens) gets a random nonce, or two
 * such cursors taken a while apart would tell whether anything happened anywhere.
 * Position 0, "before every event", is written "0" by cursor_encode and read as such;
 * cursor_encode_fresh seals it like any other position.
 */
#include <stddef.h>

#define CURSOR_TEXT_LEN 22

struct cursor_cipher;

/* The tenant's cipher, keyed from the server key. NULL when out of memory. */
struct cursor_cipher *cursor_cipher_new(const unsigned char *server_key, size_t key_len,
                                        const char *tenant_id);
void cursor_cipher_free(struct cursor_cipher *cc);

/* An event's id: out gets CURSOR_TEXT_LEN characters ("0" for 0) and a NUL. 0, or -1. */
int cursor_encode(const struct cursor_cipher *cc, unsigned long long pos,
                  char out[CURSOR_TEXT_LEN + 1]);
/* The same for a position between events: a different text each time. 0, or -1. */
int cursor_encode_fresh(const struct cursor_cipher *cc, unsigned long long pos,
                        char out[CURSOR_TEXT_LEN + 1]);
/* 1 when text has the shape of a cursor ("0" or 22 base64url characters). */
int cursor_well_formed(const char *text);
/* 0 with *pos, or -1 when text is not a cursor of this tenant. */
int cursor_decode(const struct cursor_cipher *cc, const char *text, unsigned long long *pos);

#endif
