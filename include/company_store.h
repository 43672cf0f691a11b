#ifndef SB_COMPANY_STORE_H
#define SB_COMPANY_STORE_H
/*
 * What a new company starts with, written one way: an approved registration's
 * provisioning and its setup routes (registration_approve.c) share these. Each call runs
 * inside the caller's transaction and is idempotent: it adds only what the tenant lacks.
 */
struct arena;
struct db;

/* The departments every company starts with. */
extern const char *const company_default_departments[];

/*
 * The default departments tenant_id lacks (an active one of the same name counts), with
 * phone (E.164) as their number; *created gets how many were made. DB_OK or a db_rc.
 */
int company_store_departments(struct db *db, struct arena *a, const char *tenant_id,
                              const char *phone, int *created);
/*
 * A chat widget named name when tenant_id has none: a new public key (pk_…), no allowed
 * origins yet (its admin names them). *created gets 1 when made, else 0. DB_OK or a db_rc.
 */
int company_store_widget(struct db *db, struct arena *a, const char *tenant_id,
                         const char *name, int *created);

#endif
