#ifndef SB_ROUTES_RECORDINGS_H
#define SB_ROUTES_RECORDINGS_H
/* What the recording route modules (recordings.c, recording_webhook.c) share, and what
 * the voicemail callback (voicemail_webhook.c) takes of Twilio's recording callback. */
#include <stddef.h>

#include "recording.h"

struct query_pair;
struct request;

/* A Twilio recording callback's fields (twilio_recording_form()). */
struct twilio_recording {
    const char *call_sid, *rec_sid, *url, *status; /* status: ours (map_status) */
    long long duration;                            /* -1 when not sent */
    const char *call_id, *rec_id;                  /* the module's own, found in its step */
};

/* 0 when the request carries tenant_id's Twilio signature; else answered (403), -1. */
int twilio_recording_signed(struct request *r, const char *tenant_id,
                            const struct query_pair *form, size_t n);
/* RecordingSid (required), RecordingUrl (https), RecordingStatus (as ours: recording,
 * available, failed) and RecordingDuration into *t: 0, or -1 with the 422 answered. */
int twilio_recording_form(struct request *r, const struct query_pair *form, size_t n,
                          struct twilio_recording *t);

/* Inside a step: the call (of the caller's tenant) locked until the commit; *state gets its
 * recording_state (arena). DB_OK, 1 when absent, or a db_rc. */
int recording_call_lock(struct request *r, const char *call_id, const char **state);
/* Inside a step: the call's recording_state becomes state (the calls cache moves). */
int recording_call_state(struct request *r, const char *call_id, const char *state);
/* recording.started / recording.stopped for the call; duration < 0 leaves it out. */
int recording_emit(struct request *r, const char *type, const char *call_id,
                   const char *rec_id, const char *format, long long duration);

/* An audio body as nginx wrote it to a temp file (r->body_file: the upload locations of
 * nginx.conf.in), read by libsndfile. */
struct audio_upload {
    const char *src; /* nginx's temp file */
    struct audio_info info;
    long long size;
    char sha[65];
};
/* Before any row is touched: recordings configured (else 503), a body (400) within
 * recording_max_bytes (413) that is audio we keep (415). 0 with *u, or -1 answered. */
int recording_upload_check(struct request *r, struct audio_upload *u);

#endif
