#ifndef SB_RECORDING_H
#define SB_RECORDING_H
/*
 * Call recordings: their files (recording_store.c) and what libsndfile reads of them
 * (audio_info.c). A file lives at <recordings_dir>/<file_path>, where file_path (the
 * recordings column) is "<tenant>/<yyyy>/<mm>/<dd>/<recording id>.<ext>"; nginx serves
 * it from its internal location /_recordings/<file_path> (reply_accel). Rows and files
 * go together: a file is placed before its row's transaction and removed again when that
 * transaction fails; a row's file is unlinked only after the row's delete committed.
 */
#include <stddef.h>
#include <time.h>

struct arena;
struct config;
struct request;

/* What libsndfile reads of an audio file. */
struct audio_info {
    const char *format; /* "wav", "ogg" or "mp3" (static) */
    long long frames;
    int sample_rate;
    int channels;
    long long duration; /* seconds, rounded to the nearest */
};

/*
 * Opens path with libsndfile: 0 with *out; -1 when libsndfile cannot read it as audio;
 * 1 when it is audio of a kind we do not keep (AIFF, FLAC…; out->format is NULL).
 */
int audio_info_read(const char *path, struct audio_info *out);

/* The Content-Type of a recording format ("wav" -> "audio/wav"); octet-stream if unknown. */
const char *recording_content_type(const char *format);
/* "<tenant>/<yyyy>/<mm>/<dd>/<id>.<ext>" of a file made at `at` (UTC), in the arena. */
char *recording_rel_path(struct arena *a, const char *tenant, const char *id,
                         const char *ext, time_t at);
/* The absolute path of file_path rel into out. 0, or -1 when there is no recordings_dir,
 * rel is not a plain relative path, or it does not fit. */
int recording_abs_path(const struct config *cfg, const char *rel, char *out, size_t n);
/*
 * Puts the file src at rel (its directories made, mode 0711): a hard link when both are
 * on one file system (nginx's temp file: no copy), else a copy. rel must not exist yet.
 * 0, or -1 (logged).
 */
int recording_place(const struct config *cfg, const char *src, const char *rel);
/* Unlinks rel now (a placed file whose transaction failed); a missing file is no error. */
void recording_unlink(const struct config *cfg, const char *rel);
/* The SHA-256 of a file as hex. 0 or -1. */
int recording_file_sha256(const char *path, char out[65]);

/*
 * Inside a step: deletes recording id of the caller's tenant (cdrs.recording_id pointing
 * at it cleared first: that FK is RESTRICT); its file is unlinked after the commit.
 * DB_OK, 1 when absent, or a db_rc.
 */
int recording_delete(struct request *r, const char *id);
/* The clock's move (tick.c): deletes recording id when it is (still) expired. */
int recording_expire(struct request *r, const char *id, int *moved);
/* The caller's tenant's retention in days, 0 when recordings are kept. DB_OK or a db_rc. */
int recording_retention(struct request *r, long long *days);

#endif
