/*
 * IVR prompt checks (ivr_media.h).
 */
#include "ivr_media.h"

#include <ctype.h>
#include <string.h>

#include "db.h"
#include "request.h"
#include "txn.h"

#define LANGUAGE_MAX 16
#define AUDIO_URL_MAX 1024

/* The length of the run of characters at s that pass is(); */
static size_t span(const char *s, int (*is)(int))
{
    size_t n = 0;
    while (s[n] != '\0' && is((unsigned char)s[n]))
        n++;
    return n;
}

bool ivr_language_valid(const char *s)
{
    if (s == NULL || strlen(s) > LANGUAGE_MAX)
        return false;
    size_t n = span(s, isalpha);
    if (n < 2 || n > 3)
        return false;
    s += n;
    for (int subtags = 0; *s != '\0'; subtags++) {
        if (*s != '-' || subtags == 3)
            return false;
        n = span(++s, isalnum);
        if (n < 2 || n > 8)
            return false;
        s += n;
    }
    return true;
}

/* Printable, no space, no control, no backslash. */
static bool plain_chars(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == 0x7f || c == '\\')
            return false;
    }
    return true;
}

/* A ".." path segment anywhere. */
static bool has_dot_dot(const char *s)
{
    for (const char *p = strstr(s, ".."); p != NULL; p = strstr(p + 1, "..")) {
        bool starts = p == s || p[-1] == '/';
        bool ends = p[2] == '\0' || p[2] == '/' || p[2] == '?' || p[2] == '#';
        if (starts && ends)
            return true;
    }
    return false;
}

/* "scheme:" at the start (RFC 3986: a letter, then letters, digits, + - .). */
static bool has_scheme(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return false;
    while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.')
        s++;
    return *s == ':';
}

bool ivr_audio_url_valid(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > AUDIO_URL_MAX || !plain_chars(s) ||
        has_dot_dot(s))
        return false;
    if (strncmp(s, "https://", 8) == 0) {
        const char *host = s + 8;
        size_t n = strcspn(host, "/?#");
        return n > 0 && host[0] != '@' && host[0] != ':';
    }
    return !has_scheme(s) && strncmp(s, "//", 2) != 0;
}

void ivr_media_refuse(struct request *r, const char *language, const char *audio,
                      const char *audio_field)
{
    if (language != NULL && !ivr_language_valid(language))
        request_field_error(r, "language", "must be a language tag like en-US");
    if (audio != NULL && !ivr_audio_url_valid(audio))
        request_field_error(r, audio_field, "must be an https URL or a relative path");
}

int ivr_media_pair(struct request *r, bool audio, const char *text, const char *text_field,
                   const char *url, const char *url_field)
{
    if (audio && url == NULL)
        request_field_error(r, url_field, "is required for an audio prompt");
    else if (!audio && text == NULL)
        request_field_error(r, text_field, "is required for a spoken prompt");
    else
        return DB_OK;
    request_check_fields(r);
    return TXN_ANSWERED;
}
