#ifndef SB_ADMIN_IMPORT_LEADS_H
#define SB_ADMIN_IMPORT_LEADS_H
/* switchboard-admin import-leads (import_leads.c). */
#include <stdio.h>

struct db;

/* Imports the leads CSV at path into tenant (lead_import.h): the counts to out as one JSON
 * line {"imported":N,"rejected":M}, each rejected row to err ("line N: field: why"). 0 when
 * the whole file was read (bad rows are skipped and reported), else non-zero. */
int import_leads(struct db *db, const char *tenant, const char *path, FILE *out, FILE *err);

#endif
