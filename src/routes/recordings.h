#ifndef SB_ROUTES_RECORDINGS_H
#define SB_ROUTES_RECORDINGS_H
/* What the recording route modules (recordings.c, recording_webhook.c) share. */
struct request;

/* Inside a step: the call (of the caller's tenant) locked until the commit; *state gets its
 * recording_state (arena). DB_OK, 1 when absent, or a db_rc. */
int recording_call_lock(struct request *r, const char *call_id, const char **state);
/* Inside a step: the call's recording_state becomes state (the calls cache moves). */
int recording_call_state(struct request *r, const char *call_id, const char *state);
/* recording.started / recording.stopped for the call; duration < 0 leaves it out. */
int recording_emit(struct request *r, const char *type, const char *call_id,
                   const char *rec_id, const char *format, long long duration);

#endif
