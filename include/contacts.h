#ifndef SB_CONTACTS_H
#define SB_CONTACTS_H
/*
 * Contacts for the modules that point at one (tickets, chat sessions, calls): the contact
 * behind a caller's number, and the reference check of a contact_id field. Both are
 * scoped by r->auth.tenant_id (src/routes/contacts.c).
 */
#include <stddef.h>

struct request;

/*
 * A caller's number in any notation (E.164 with separators, a `+` decoded to a space, the
 * 00 prefix, or the digits alone) as E.164 into out (at least 17 bytes). 0, or -1 when it
 * is no phone number. Pure.
 */
int contact_number_e164(const char *number, char *out, size_t size);

/* The id (arena) of the tenant's contact whose phone or mobile is number (any notation; the
 * one changed last if several). DB_OK with *id, 1 when none (or no number), or a db_rc. */
int contact_by_number(struct request *r, const char *number, const char **id);

/* Inside a write's transaction: contact_id must be a contact of the tenant; it stays locked
 * in share mode until the commit. DB_OK, TXN_ANSWERED (a 422 naming field), or a db_rc. */
int contact_refer(struct request *r, const char *contact_id, const char *field);

/* Inside a delete's transaction: the contact's CDRs and chats are history and stay, with
 * their contact cleared (a lead is a contact too). DB_OK or a db_rc. */
int contact_detach_history(struct request *r, const char *contact_id);

#endif
