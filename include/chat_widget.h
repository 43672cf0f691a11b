#ifndef SB_CHAT_WIDGET_H
#define SB_CHAT_WIDGET_H
/*
 * A chat widget's body, declared once in chat_widgets.c: the tenant's own routes
 * (/api/chat/widgets) and the platform admin's (admin_widget.c) read the same fields with
 * the same checks.
 */
#include "crud.h"
#include "fields.h"

struct request;

enum chat_widget_field {
    CW_NAME, CW_GREETING, CW_OFFLINE, CW_SCHEDULE, CW_SETTINGS, CW_ACTIVE, CW_ORIGINS,
    CW_NFIELDS
};

extern const struct field_def chat_widget_fields[CW_NFIELDS];
/* chat_widget_fields[i]'s column. */
extern const char *const chat_widget_columns_of[CW_NFIELDS];

/*
 * What the declaration cannot say, on values read against chat_widget_fields: each
 * allowed origin normalised in place (on create an unsent list is "[]"), the settings'
 * members checked. 0, or -1 with the 422 answered.
 */
int chat_widget_check(struct request *r, enum crud_op op, struct field_value *v);

#endif
