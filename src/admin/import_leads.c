/*
 * switchboard-admin import-leads --tenant ID FILE: the API's CSV import of leads
 * (lead_import.h) from a file, in batches of BATCH_ROWS rows, one transaction each, so a
 * large file neither holds the lead counter locked for long nor loses everything to one
 * failure: the batches committed before a failure stay imported.
 */
#include "import_leads.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "lead_import.h"

#define BATCH_ROWS 500

static int tenant_exists(struct db *db, struct arena *a, const char *tenant)
{
    struct db_result *res;
    int rc = db_exec(db, a, "SELECT id FROM tenants WHERE id = ?", DB_PARAMS(DB_STR(tenant)),
                     &res);
    return rc == DB_OK && res->nrows == 1 ? 0 : -1;
}

static int write_batches(struct db *db, struct arena *batch, const char *tenant,
                         struct lead_import *im)
{
    for (size_t from = 0; from < im->nrows; from += BATCH_ROWS) {
        size_t to = from + BATCH_ROWS < im->nrows ? from + BATCH_ROWS : im->nrows;
        int rc = db_begin(db);
        if (rc == DB_OK)
            rc = lead_import_write(db, batch, tenant, im, from, to);
        rc = rc == DB_OK ? db_commit(db) : (db_rollback(db), rc);
        arena_reset(batch);
        if (rc != DB_OK)
            return rc;
    }
    return DB_OK;
}

int import_leads(struct db *db, const char *tenant, const char *path, FILE *out, FILE *err)
{
    struct lead_import im = {.a = arena_create(64 * 1024)};
    struct arena *batch = arena_create(64 * 1024);
    FILE *f = fopen(path, "r");
    int rc = 1;
    if (im.a == NULL || batch == NULL || f == NULL) {
        fprintf(err, "switchboard-admin: cannot read %s\n", path);
        goto out;
    }
    if (tenant_exists(db, batch, tenant) != 0) {
        fprintf(err, "switchboard-admin: no tenant %s\n", tenant);
        goto out;
    }
    if (lead_import_parse(&im, f) != 0) {
        fprintf(err, "switchboard-admin: %s: %s\n", path, im.fatal);
        goto out;
    }
    int wrc = write_batches(db, batch, tenant, &im);
    lead_import_sort_errors(&im);
    for (size_t i = 0; i < im.nerrors; i++)
        fprintf(err, "line %ld: %s: %s\n", im.errors[i].row,
                im.errors[i].field ? im.errors[i].field : "row", im.errors[i].message);
    fprintf(out, "{\"imported\":%ld,\"rejected\":%ld}\n", im.imported,
            lead_import_rejected(&im));
    if (wrc != DB_OK)
        fprintf(err, "switchboard-admin: database error (%s); the batches before it stay imported\n",
                db_last_error(db));
    rc = wrc == DB_OK ? 0 : 1;
out:
    if (f != NULL)
        fclose(f);
    arena_destroy(batch);
    arena_destroy(im.a);
    return rc;
}
