#ifndef SB_SURVEY_LINK_H
#define SB_SURVEY_LINK_H
/*
 * The token of a survey's response link: who may answer which survey about what, signed so
 * that nobody can make one or change one. The token is
 *
 *   base64url(tenant_id LF survey_id LF subject_type LF subject_id) "." base64url(mac)
 *
 * with mac = HMAC-SHA256(K, the decoded payload) and K = HMAC-SHA256(server key,
 * "switchboard survey link v1"): a key of its own, so a token is never valid as anything
 * else signed under the server key. subject_type is "call" (subject_id a CDR id) or
 * "chat" (a chat session id). Pure: no database; the response row (one per survey and
 * subject) is what makes a link answerable once.
 */
#include <stddef.h>

struct arena;

#define SURVEY_LINK_ID_MAX 64

struct survey_link {
    const char *tenant_id, *survey_id, *subject_type, *subject_id;
};

/* The token of l (arena), NULL when out of memory or a member is not an id. */
char *survey_link_sign(struct arena *a, const unsigned char *key, size_t key_len,
                       const struct survey_link *l);
/* 0 with *l (arena strings) when token is one survey_link_sign made under key; else -1. */
int survey_link_verify(struct arena *a, const unsigned char *key, size_t key_len,
                       const char *token, struct survey_link *l);

#endif
