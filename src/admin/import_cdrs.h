#ifndef SB_ADMIN_IMPORT_CDRS_H
#define SB_ADMIN_IMPORT_CDRS_H
/* switchboard-admin import-cdrs (import_cdrs.c). */
#include <stdio.h>

struct db;

/* Imports the Asterisk Master.csv at path into tenant; counts to out, bad lines to err.
 * zone (NULL: UTC) is the IANA zone of the file's times. 0 when the whole file was read
 * (bad lines are skipped and reported), else non-zero. */
int import_cdrs(struct db *db, const char *tenant, const char *path, const char *zone,
                FILE *out, FILE *err);

#endif
