#include "httputil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *url_decode(struct arena *a, const char *s, size_t len, int plus_space)
{
    char *out = arena_alloc(a, len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (s[i] == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

const char *path_fold_v1(struct arena *a, const char *s)
{
    if (strncmp(s, "/api/v1", 7) == 0 && (s[7] == '/' || s[7] == '\0'))
        return arena_printf(a, "/api%s", s + 7);
    return s;
}

/* Splits "a=1&b=2" into decoded pairs; '+' is a space. */
int http_pairs_parse(struct arena *a, const char *s, size_t len, struct query_pair **out,
                     size_t *n)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s[i] == '&';
    *n = 0;
    *out = arena_calloc(a, cap, sizeof(**out));
    if (*out == NULL)
        return -1;
    const char *end = s + len;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        size_t plen = amp ? (size_t)(amp - s) : (size_t)(end - s);
        const char *eq = memchr(s, '=', plen);
        size_t klen = eq ? (size_t)(eq - s) : plen;
        if (klen > 0) {
            struct query_pair *qp = &(*out)[*n];
            qp->key = url_decode(a, s, klen, 1);
            qp->value = eq ? url_decode(a, eq + 1, plen - klen - 1, 1) : arena_strdup(a, "");
            if (qp->key == NULL || qp->value == NULL)
                return -1;
            (*n)++;
        }
        s += plen;
        if (s < end && *s == '&')
            s++;
    }
    return 0;
}

const char *http_status_text(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

/* RFC 3339 UTC with milliseconds, for the dialects that stamp their answers. */
void http_now_rfc3339(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

const char *http_pairs_get(const struct query_pair *pairs, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(pairs[i].key, key) == 0)
            return pairs[i].value;
    return NULL;
}
