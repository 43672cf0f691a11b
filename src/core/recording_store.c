/*
 * Recording files and the rows that own them (recording.h). Paths are built from ids
 * and dates only, never from what a client sent, and checked again before use.
 */
#include "recording.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "request.h"
#include "txn.h"

const char *recording_content_type(const char *format)
{
    if (format == NULL)
        return "application/octet-stream";
    if (strcmp(format, "wav") == 0)
        return "audio/wav";
    if (strcmp(format, "mp3") == 0)
        return "audio/mpeg";
    if (strcmp(format, "ogg") == 0 || strcmp(format, "opus") == 0)
        return "audio/ogg";
    return "application/octet-stream";
}

char *recording_rel_path(struct arena *a, const char *tenant, const char *id, const char *ext,
                         time_t at)
{
    struct tm tm;
    if (gmtime_r(&at, &tm) == NULL)
        return NULL;
    return arena_printf(a, "%s/%04d/%02d/%02d/%s.%s", tenant, tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, id, ext);
}

int recording_abs_path(const struct config *cfg, const char *rel, char *out, size_t n)
{
    if (cfg->recordings_dir[0] == '\0' || rel == NULL || rel[0] == '\0' || rel[0] == '/' ||
        strstr(rel, "..") != NULL)
        return -1;
    int len = snprintf(out, n, "%s/%s", cfg->recordings_dir, rel);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

/*
 * mkdir -p of path's directories below the recordings root (which stack.sh made). Mode
 * 0711 whatever the pool's umask (077): nginx's workers (another user) serve the files by
 * name but list nothing.
 */
static int make_parents(const struct config *cfg, char *path)
{
    size_t root = strlen(cfg->recordings_dir);
    for (char *p = path + root + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int rc = mkdir(path, 0711);
        if (rc == 0)
            rc = chmod(path, 0711);
        int err = errno;
        *p = '/';
        if (rc != 0 && err != EEXIST) {
            log_error("recordings: mkdir of a directory of %s failed: %s", path, strerror(err));
            return -1;
        }
    }
    return 0;
}

static int copy_file(const char *src, const char *dst)
{
    char buf[65536];
    int rc = -1, in = open(src, O_RDONLY | O_CLOEXEC), out = -1;
    if (in < 0)
        goto out;
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0 || fchmod(out, 0644) != 0)
        goto out;
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            goto out;
    if (n == 0 && fsync(out) == 0)
        rc = 0;
out:
    if (out >= 0 && close(out) != 0)
        rc = -1;
    if (in >= 0)
        close(in);
    if (rc != 0 && out >= 0)
        unlink(dst);
    return rc;
}

int recording_place(const struct config *cfg, const char *src, const char *rel)
{
    char dst[1024];
    if (recording_abs_path(cfg, rel, dst, sizeof(dst)) != 0 || make_parents(cfg, dst) != 0)
        return -1;
    if (link(src, dst) == 0)
        return 0;
    /* Another file system, or hard links refused (protected_hardlinks): copy it. */
    if ((errno == EXDEV || errno == EPERM) && copy_file(src, dst) == 0)
        return 0;
    log_error("recordings: cannot place %s: %s", dst, strerror(errno));
    return -1;
}

void recording_unlink(const struct config *cfg, const char *rel)
{
    char path[1024];
    if (rel == NULL || rel[0] == '\0')
        return;
    if (recording_abs_path(cfg, rel, path, sizeof(path)) != 0) {
        log_warn("recordings: not a recording path, not unlinked: %s", rel);
        return;
    }
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("recordings: unlink %s: %s", path, strerror(errno));
}

int recording_file_sha256(const char *path, char out[65])
{
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    int rc = -1, fd = open(path, O_RDONLY | O_CLOEXEC);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (fd < 0 || c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
        goto out;
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
            goto out;
    if (n < 0 || EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen != 32)
        goto out;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    EVP_MD_CTX_free(c);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ---- rows ---------------------------------------------------------------------------- */

static void unlink_committed(struct request *r, const char *rel)
{
    recording_unlink(r->cfg, rel);
}

int recording_delete(struct request *r, const char *id)
{
    struct db_result *row;
    const char *tenant = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT file_path FROM recordings WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(tenant)), &row);
    if (rc != DB_OK)
        return rc;
    if (row->nrows == 0)
        return 1;
    const char *rel = db_get(row, 0, "file_path");
    rc = db_exec(r->db, r->arena,
                 "UPDATE cdrs SET recording_id = NULL WHERE tenant_id = ? AND recording_id = ?",
                 DB_PARAMS(DB_STR(tenant), DB_STR(id)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "DELETE FROM recordings WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(tenant)), NULL);
    if (rc == DB_OK && rel != NULL && rel[0] != '\0')
        txn_after_commit(r, unlink_committed, rel);
    return rc;
}

int recording_expire(struct request *r, const char *id, int *moved)
{
    struct db_result *due;
    *moved = 0;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM recordings WHERE id = ? AND tenant_id = ?"
                     " AND expires_at <= NOW() FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &due);
    if (rc != DB_OK || due->nrows == 0)
        return rc;
    rc = recording_delete(r, id);
    if (rc == DB_OK)
        *moved = 1;
    return rc == 1 ? DB_OK : rc;
}

int recording_retention(struct request *r, long long *days)
{
    struct db_result *res;
    *days = 0;
    int rc = db_exec(r->db, r->arena,
                     "SELECT retention_days FROM recording_settings WHERE tenant_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK && res->nrows > 0)
        *days = db_get_int(res, 0, "retention_days", 0);
    return rc;
}
