#ifndef SB_FIELDS_H
#define SB_FIELDS_H
/*
 * Declared input. A resource declares its body fields once (name, type, bounds, enum
 * values, format, flags); fields_read() reads a JSON body against the declaration, fills
 * one typed value per field with whether it was sent, and records every 422 reason
 * (request.h) in one place. Fields the declaration does not name are ignored, the same way
 * everywhere (clients send back whole records, ids and timestamps included); a field
 * declared F_READONLY is refused when sent.
 *
 * Words the clients of other backends send are declared beside the values we store
 * (`words`): the transfer portal's call status "in_progress" is our "active", its urgency
 * "medium" our "normal". For routes coldcaller calls, a field also arrives under its
 * camelCase name (phoneNumber for phone_number).
 */
#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct request;

enum field_type {
    FT_TEXT,   /* a string of min..max characters; min > 0 also refuses blank text */
    FT_INT,    /* an integer in [min, max] */
    FT_NUMBER, /* a JSON number in [min, max] */
    FT_BOOL,
    FT_ENUM,   /* one of values, or a client word of words */
    FT_EMAIL,  /* an e-mail address, lower-cased */
    FT_PHONE,  /* a phone number, normalised to E.164 */
    FT_OBJECT, /* a JSON object, kept as its JSON text */
    FT_ID,     /* a record id: 1 to 64 characters */
    FT_STRINGS, /* an array of min..max non-blank strings of 1..FIELD_ITEM_MAX characters,
                 * kept as its JSON text (tags, origins); a module's check may bound an
                 * item tighter */
};

#define FIELD_ITEM_MAX 255

#define F_REQUIRED 1u /* required on create */
#define F_NULLABLE 2u /* null is a value (the column becomes NULL) */
#define F_READONLY 4u /* sending it is refused: "is read-only" */
#define F_ALWAYS 8u   /* required on update too */

/* A word a client sends and the value it stands for. */
struct field_word {
    const char *client;
    const char *ours;
};

struct field_def {
    const char *name;
    enum field_type type;
    unsigned flags;
    long long min, max;              /* text: characters; int/number: value */
    const char *const *values;       /* FT_ENUM: NULL-terminated */
    const struct field_word *words;  /* FT_ENUM: {NULL, NULL}-terminated, may be NULL */
    const char *alias;               /* another name the field arrives under, or NULL */
};

struct field_value {
    bool sent; /* present in the body (as null too) */
    bool null; /* sent as null */
    const char *s; /* text, enum (ours), email, phone, object text, id; arena */
    long long i;
    double d;
    bool b;
};

enum fields_mode { FIELDS_CREATE, FIELDS_UPDATE };

/*
 * Reads body against defs[0..n) into vals[0..n). 0 when valid; else answers 422 with
 * every field's reason and returns -1.
 */
int fields_read(struct request *r, struct json_object *body, const struct field_def *defs,
                size_t n, enum fields_mode mode, struct field_value *vals);
/* request_body_object() then fields_read(); *body (may be NULL) gets the object. */
int fields_body(struct request *r, const struct field_def *defs, size_t n,
                enum fields_mode mode, struct field_value *vals, struct json_object **body);

/*
 * fields_body() against the fields the matched route declares (ROUTE_BODY), so a handler
 * reads exactly the body its OpenAPI description shows. nvals: the room in vals; a route
 * declaring another number of fields is a bug, answered 500.
 */
int fields_declared(struct request *r, enum fields_mode mode, struct field_value *vals,
                    size_t nvals, struct json_object **body);

/* The client word for value (words) mapped to ours; the value itself when none maps. */
const char *fields_word(const struct field_word *words, const char *value);

#define FIELDS_N(defs) (sizeof(defs) / sizeof((defs)[0]))

#endif
