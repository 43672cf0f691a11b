/* The pure parts of SMS (sms.h): segments, opt-out words, Twilio's statuses. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "sms.h"
#include "utf8.h"

/* GSM 03.38: the basic set's characters beyond printable ASCII, and the ASCII ones it
 * lacks (they are in neither set). */
static const uint32_t gsm_basic_extra[] = {
    0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
    0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
    0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
    0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};
static const char gsm_ext_ascii[] = "^{}\\[~]|\f";
#define EURO 0x20AC

/* Septets of code point c in GSM-7: 1, 2 (extension), or 0 when it has none. */
static int gsm_septets(uint32_t c)
{
    if (c < 0x80) {
        if (c != 0 && strchr(gsm_ext_ascii, (int)c) != NULL)
            return 2;
        if (c == '`')
            return 0;
        return (c >= 0x20 || c == '\n' || c == '\r') ? 1 : 0;
    }
    if (c == EURO)
        return 2;
    for (size_t i = 0; i < sizeof(gsm_basic_extra) / sizeof(gsm_basic_extra[0]); i++)
        if (gsm_basic_extra[i] == c)
            return 1;
    return 0;
}

static uint32_t decode(const unsigned char *p, size_t n)
{
    if (n == 1)
        return p[0];
    uint32_t c = p[0] & (0xFFu >> (n + 1));
    for (size_t i = 1; i < n; i++)
        c = (c << 6) | (p[i] & 0x3Fu);
    return c;
}

static int segments_of(size_t units, size_t single, size_t multi)
{
    if (units <= single)
        return 1;
    return (int)((units + multi - 1) / multi);
}

int sms_segments(const char *body, size_t len)
{
    const unsigned char *p = (const unsigned char *)body;
    size_t septets = 0, units = 0;
    int gsm = 1;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_next(p + i, len - i);
        if (n == 0)
            return 0;
        uint32_t c = decode(p + i, n);
        int s = gsm_septets(c);
        if (s == 0)
            gsm = 0;
        septets += (size_t)s;
        units += c >= 0x10000 ? 2 : 1;
        i += n;
    }
    return gsm ? segments_of(septets, 160, 153) : segments_of(units, 70, 67);
}

static const char *const opt_out_words[] = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL",
                                            "END",  "QUIT",    NULL};
static const char *const opt_in_words[] = {"START", "UNSTOP", NULL};

static int in_words(const char *s, size_t n, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return 1;
    return 0;
}

enum sms_opt sms_opt_word(const char *body)
{
    if (body == NULL)
        return SMS_OPT_NONE;
    while (isspace((unsigned char)*body))
        body++;
    size_t n = strlen(body);
    while (n > 0 && isspace((unsigned char)body[n - 1]))
        n--;
    if (in_words(body, n, opt_out_words))
        return SMS_OPT_OUT;
    if (in_words(body, n, opt_in_words))
        return SMS_OPT_IN;
    return SMS_OPT_NONE;
}

const char *sms_status_of(const char *twilio)
{
    static const char *const map[][2] = {
        {"delivered", "delivered"}, {"undelivered", "undelivered"}, {"failed", "failed"},
        {"sent", "sent"},
    };
    if (twilio == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(twilio, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}
