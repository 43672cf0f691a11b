/* Reading the servers a configuration lists (nodes.h). */
#include "nodes.h"

#include <stdlib.h>
#include <string.h>

/* Entry i of list: its start and length, after blanks; -1 when list has fewer. */
static int entry(const char *list, size_t i, const char **start, size_t *len)
{
    const char *p = list ? list : "";
    for (size_t k = 0;; k++) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (k == i) {
            if (n == 0)
                return -1;
            *start = p;
            *len = n;
            return 0;
        }
        if (end == NULL)
            return -1;
        p = end + 1;
    }
}

size_t nodes_count(const char *list)
{
    const char *s;
    size_t n, count = 0;
    while (entry(list, count, &s, &n) == 0)
        count++;
    return count;
}

int node_at(const char *list, size_t i, unsigned default_port, struct node *out)
{
    const char *s;
    size_t n;
    memset(out, 0, sizeof(*out));
    if (entry(list, i, &s, &n) != 0)
        return -1;
    if (s[0] == '/') {
        if (n >= sizeof(out->socket))
            return -1;
        memcpy(out->socket, s, n);
        return 0;
    }
    const char *colon = memchr(s, ':', n);
    size_t hl = colon ? (size_t)(colon - s) : n;
    if (hl == 0 || hl >= sizeof(out->host))
        return -1;
    memcpy(out->host, s, hl);
    out->port = default_port;
    if (colon != NULL) {
        char digits[8] = {0};
        size_t dl = n - hl - 1;
        if (dl == 0 || dl >= sizeof(digits))
            return -1;
        memcpy(digits, colon + 1, dl);
        char *end;
        long port = strtol(digits, &end, 10);
        if (*end != '\0' || port < 1 || port > 65535)
            return -1;
        out->port = (unsigned)port;
    }
    return 0;
}
