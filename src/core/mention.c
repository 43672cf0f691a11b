/* Mentions of users in staff writing (mention.h). */
#include "mention.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "db.h"
#include "notify.h"
#include "request.h"
#include "validate.h"

static bool addr_char(unsigned char c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '@';
}

/* The address starting at p (after the mention's '@'), its length; trailing dots are
 * the sentence's, not the address's. */
static size_t addr_len(const char *p)
{
    size_t n = 0;
    while (addr_char((unsigned char)p[n]) && n <= MENTION_ADDR_MAX)
        n++;
    while (n > 0 && p[n - 1] == '.')
        n--;
    return n;
}

static bool seen(char out[][MENTION_ADDR_MAX + 1], size_t n, const char *addr)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i], addr) == 0)
            return true;
    return false;
}

size_t mention_scan(const char *text, char out[][MENTION_ADDR_MAX + 1], size_t max)
{
    size_t found = 0;
    for (const char *p = text; p != NULL && *p != '\0' && found < max; p++) {
        if (*p != '@' || (p > text && addr_char((unsigned char)p[-1])))
            continue;
        size_t n = addr_len(p + 1);
        if (n == 0 || n > MENTION_ADDR_MAX || validate_email(p + 1, n) != 0)
            continue;
        char addr[MENTION_ADDR_MAX + 1];
        for (size_t i = 0; i < n; i++)
            addr[i] = (char)tolower((unsigned char)p[1 + i]);
        addr[n] = '\0';
        if (!seen(out, found, addr))
            memcpy(out[found++], addr, n + 1);
        p += n;
    }
    return found;
}

int mention_notify(struct request *r, char addrs[][MENTION_ADDR_MAX + 1], size_t n,
                   const char *text, const char *title, const char *data_json)
{
    int rc = DB_OK;
    for (size_t i = 0; rc == DB_OK && i < n; i++) {
        struct db_result *u;
        rc = db_exec(r->db, r->arena,
                     "SELECT id FROM users WHERE tenant_id = ? AND email = ? AND is_active = 1",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(addrs[i])), &u);
        if (rc != DB_OK || u->nrows == 0)
            continue;
        const char *uid = db_get(u, 0, "id");
        if (r->auth.user_id != NULL && strcmp(uid, r->auth.user_id) == 0)
            continue;
        rc = notify_user(r, &(struct notice){.user_id = uid, .type = "mention", .title = title,
                                             .body = text, .data_json = data_json});
    }
    return rc;
}
