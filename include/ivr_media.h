#ifndef SB_IVR_MEDIA_H
#define SB_IVR_MEDIA_H
/*
 * What IVR prompts speak (src/core/ivr_media.c): the checks the content items
 * (/api/ivr/content) and the callcenter menus' greetings (/api/v1/ivr/menus) make on a
 * language tag and an audio location. Pure.
 */
#include <stdbool.h>

struct request;

/* A BCP-47-ish tag: a 2-3 letter language, then up to three subtags of 2-8 letters or
 * digits after '-' ("en", "en-US", "es-419", "zh-Hant-TW"); at most 16 characters. */
bool ivr_language_valid(const char *s);

/* An https URL with a host ("https://cdn.example/a.mp3"), or a relative path under the
 * tenant's files ("prompts/welcome.wav"): no other scheme, no "//" start, no ".."
 * segment, no whitespace or control characters; at most 1024 characters. */
bool ivr_audio_url_valid(const char *s);

/* Records a 422 reason (request_field_error) for each given value that fails: language on
 * "language", audio on audio_field. The caller then calls request_check_fields(). */
void ivr_media_refuse(struct request *r, const char *language, const char *audio,
                      const char *audio_field);

/* Inside a write's transaction, the prompt as it will be stored: a spoken one (audio
 * false) needs its text, an audio one its audio location. DB_OK, or TXN_ANSWERED with a
 * 422 naming the missing field. */
int ivr_media_pair(struct request *r, bool audio, const char *text, const char *text_field,
                   const char *url, const char *url_field);

#endif
