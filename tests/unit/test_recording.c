/* Recording files (src/core/recording_store.c) and what libsndfile reads (audio_info.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "recording.h"
#include "unit.h"

static void ut_put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void ut_put32(unsigned char *p, uint32_t v)
{
    ut_put16(p, v & 0xffff);
    ut_put16(p + 2, v >> 16);
}

/* A mono 16-bit PCM WAV of `frames` silent frames at `rate`. */
static int ut_write_wav(const char *path, uint32_t rate, uint32_t frames)
{
    unsigned char h[44] = "RIFF\0\0\0\0WAVEfmt \0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0data";
    ut_put32(h + 4, 36 + frames * 2);
    ut_put32(h + 16, 16);
    ut_put16(h + 20, 1);
    ut_put16(h + 22, 1);
    ut_put32(h + 24, rate);
    ut_put32(h + 28, rate * 2);
    ut_put16(h + 32, 2);
    ut_put16(h + 34, 16);
    ut_put32(h + 40, frames * 2);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(h, 1, sizeof(h), f) == sizeof(h);
    for (uint32_t i = 0; ok && i < frames; i++)
        ok = fputc(0, f) != EOF && fputc(0, f) != EOF;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void ut_rec_paths(void)
{
    struct arena *a = arena_create(4096);
    struct config cfg;
    char out[256];
    memset(&cfg, 0, sizeof(cfg));
    /* 2026-12-03 (UTC) */
    CHECK_EQ_STR(recording_rel_path(a, "ten_1", "rec_2", "wav", 1796299200),
                 "ten_1/2026/12/03/rec_2.wav");
    CHECK(recording_abs_path(&cfg, "ten_1/x.wav", out, sizeof(out)) == -1); /* no dir */
    snprintf(cfg.recordings_dir, sizeof(cfg.recordings_dir), "/var/rec");
    CHECK(recording_abs_path(&cfg, "ten_1/x.wav", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "/var/rec/ten_1/x.wav");
    CHECK(recording_abs_path(&cfg, "../etc/passwd", out, sizeof(out)) == -1);
    CHECK(recording_abs_path(&cfg, "/etc/passwd", out, sizeof(out)) == -1);
    CHECK(recording_abs_path(&cfg, "", out, sizeof(out)) == -1);
    CHECK(recording_abs_path(&cfg, "ten_1/x.wav", out, 8) == -1);
    CHECK_EQ_STR(recording_content_type("wav"), "audio/wav");
    CHECK_EQ_STR(recording_content_type("mp3"), "audio/mpeg");
    CHECK_EQ_STR(recording_content_type("ogg"), "audio/ogg");
    CHECK_EQ_STR(recording_content_type(NULL), "application/octet-stream");
    arena_destroy(a);
}

static void ut_rec_audio_and_place(void)
{
    char dir[] = "/tmp/ut-recXXXXXX";
    char wav[300], junk[300], placed[600];
    struct audio_info info;
    struct config cfg;
    CHECK(mkdtemp(dir) != NULL);
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.recordings_dir, sizeof(cfg.recordings_dir), "%s/root", dir);
    snprintf(wav, sizeof(wav), "%s/a.wav", dir);
    snprintf(junk, sizeof(junk), "%s/junk", dir);
    CHECK(mkdir(cfg.recordings_dir, 0711) == 0);
    CHECK(ut_write_wav(wav, 8000, 12000) == 0);
    CHECK(audio_info_read(wav, &info) == 0);
    CHECK_EQ_STR(info.format, "wav");
    CHECK_EQ_INT(info.frames, 12000);
    CHECK_EQ_INT(info.sample_rate, 8000);
    CHECK_EQ_INT(info.channels, 1);
    CHECK_EQ_INT(info.duration, 2); /* 1.5 s rounds up */
    FILE *f = fopen(junk, "w");
    CHECK(f != NULL && fputs("not audio at all", f) >= 0 && fclose(f) == 0);
    CHECK(audio_info_read(junk, &info) == -1);
    CHECK(audio_info_read("/nonexistent/file.wav", &info) == -1);

    char sha[65];
    CHECK(recording_file_sha256(junk, sha) == 0);
    CHECK_EQ_STR(sha, "a7a6b1052126792bdd1c4d148ab0cadbf7aff8a9634123f047d4f4c8c6570fba");

    CHECK(recording_place(&cfg, wav, "ten_1/2026/12/03/rec_1.wav") == 0);
    snprintf(placed, sizeof(placed), "%s/ten_1/2026/12/03/rec_1.wav", cfg.recordings_dir);
    struct stat st;
    CHECK(stat(placed, &st) == 0 && st.st_size == 44 + 24000);
    CHECK(recording_place(&cfg, wav, "ten_1/2026/12/03/rec_1.wav") == -1); /* exists */
    recording_unlink(&cfg, "ten_1/2026/12/03/rec_1.wav");
    CHECK(stat(placed, &st) != 0);
    recording_unlink(&cfg, "ten_1/2026/12/03/rec_1.wav"); /* gone already: no error */

    unlink(wav);
    unlink(junk);
    char sub[700];
    static const char *const dirs[] = {"/ten_1/2026/12/03", "/ten_1/2026/12", "/ten_1/2026",
                                       "/ten_1", ""};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(sub, sizeof(sub), "%s%s", cfg.recordings_dir, dirs[i]);
        rmdir(sub);
    }
    rmdir(dir);
}

const struct ut_case ut_recording_cases[] = {
    {"paths", ut_rec_paths},
    {"audio_and_place", ut_rec_audio_and_place},
    {NULL, NULL},
};
