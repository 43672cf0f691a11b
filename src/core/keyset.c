/* Keyset cursors (keyset.h); moved here from the call logs. */
#include "keyset.h"

#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "request.h"
#include "validate.h"

int keyset_decode(struct request *r, const char *text, const char **time, const char **id)
{
    size_t n = strlen(text);
    unsigned char buf[160];
    if (n == 0 || n > 200)
        return -1;
    long o = crypto_b64url_decode(text, n, buf, sizeof(buf) - 1);
    if (o < 0)
        return -1;
    buf[o] = '\0';
    char *bar = memchr(buf, '|', o);
    if (bar == NULL || bar == (char *)buf || validate_text((char *)buf, o) != 0)
        return -1;
    *bar = '\0';
    /* "YYYY-MM-DD HH:MM:SS", then "." and one to six digits */
    size_t tl = strlen((char *)buf);
    if (tl != 19 && (tl < 21 || tl > 26 || buf[19] != '.'))
        return -1;
    *time = arena_strdup(r->arena, (char *)buf);
    *id = arena_strdup(r->arena, bar + 1);
    return (*time && *id && (*id)[0] != '\0') ? 0 : -1;
}

char *keyset_encode(struct request *r, const char *time, const char *id)
{
    if (time == NULL || id == NULL)
        return NULL;
    char *raw = arena_printf(r->arena, "%s|%s", time, id);
    if (raw == NULL)
        return NULL;
    /* A time the db layer gave as RFC 3339 ("…T…Z") goes back to MariaDB's form. */
    if (strlen(time) > 10 && raw[10] == 'T') {
        raw[10] = ' ';
        char *z = strchr(raw, 'Z');
        if (z != NULL && z[1] == '|')
            memmove(z, z + 1, strlen(z + 1) + 1);
    }
    size_t n = strlen(raw);
    char *out = arena_alloc(r->arena, n * 4 / 3 + 4);
    if (out != NULL)
        crypto_b64url_encode((const unsigned char *)raw, n, out);
    return out;
}
