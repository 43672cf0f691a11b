/*
 * What a client gets back, in the OpenAPI description (openapi.h): each dialect's
 * envelopes and errors as component schemas (the shapes render.c writes), and per route
 * the success answer for its families plus the errors it can answer.
 */
#include "openapi.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "httputil.h"
#include "jsonutil.h"
#include "reply.h"
#include "router.h"

#define REF "#/components/schemas/"
/* A count that is null on a page read by cursor (reply_list_by_cursor). */
#define COUNT "{'$ref':'" REF "Count'}"
#define STAMP "{'type':'string','format':'date-time'}"
#define OBJECT_OF(req, props) "{'type':'object','required':[" req "],'properties':{" props "}}"

/*
 * The envelopes as render.c writes them (reply.h lists them). Written as JSON with ' for "
 * so it reads as the shapes it describes; no text in it holds an apostrophe. Each schema
 * is open: a path that several families call answers members of all of them at once.
 */
static const char dialects[] =
    "{'Count':{'type':['integer','null'],'description':'null on a page read by cursor'},"
    "'TransferEnvelope':{'description':'transfer: the answer under the route answer name, "
    "or its members on top','type':'object','required':['success'],"
    "'properties':{'success':{'const':true}}},"
    "'TransferList':{'description':'transfer: a page of a list under the answer name',"
    "'allOf':[{'$ref':'" REF "TransferEnvelope'}],'required':['total','pagination'],"
    "'properties':{'total':" COUNT ",'pagination':" OBJECT_OF(
        "'page','limit','total','total_pages'",
        "'page':" COUNT ",'limit':{'type':'integer'},'total':" COUNT ",'total_pages':" COUNT
        ",'has_more':{'type':'boolean'}") "}},"
    "'TransferError':{'description':'transfer: error text, machine code, request id; 422 "
    "adds fields','type':'object','required':['success','error','code','request_id'],"
    "'properties':{'success':{'const':false},'error':{'type':'string'},"
    "'code':{'type':'string'},'request_id':{'type':'string'},"
    "'fields':{'type':'object','additionalProperties':{'type':'string'}}}},"
    "'SharedError':{'description':'the error of a path several families call: the transfer "
    "error with message beside it (calldocker, coldcaller) and, for coldcaller, timestamp "
    "and details','allOf':[{'$ref':'" REF "TransferError'}],'required':['message'],"
    "'properties':{'message':{'type':'string'},'timestamp':" STAMP ","
    "'details':{'$ref':'" REF "ValidationDetails'}}},"
    "'ValidationDetails':{'type':'array','items':" OBJECT_OF(
        "'field','message','code','value','location'", "'field':{'type':'string'},"
        "'message':{'type':'string'},'code':{'const':'VALIDATION_ERROR'},'value':{},"
        "'location':{'enum':['body','query','params','headers']}") "},"
    "'CallcenterEnvelope':{'description':'callcenter (everything under /api/v1)',"
    "'type':'object','required':['success','data','request_id','timestamp'],"
    "'properties':{'success':{'const':true},'data':{'description':'the answer'},"
    "'request_id':{'type':'string'},'timestamp':" STAMP "}},"
    "'CallcenterList':{'allOf':[{'$ref':'" REF "CallcenterEnvelope'}],'required':['meta'],"
    "'properties':{'data':{'type':'array'},'meta':" OBJECT_OF(
        "'page','page_size','total_pages','total_count'",
        "'page':" COUNT ",'page_size':{'type':'integer'},'total_pages':" COUNT
        ",'total_count':" COUNT ",'has_more':{'type':'boolean'}") "}},"
    "'CallcenterError':{'type':'object','required':['success','error','request_id',"
    "'timestamp'],'properties':{'success':{'const':false},'error':" OBJECT_OF(
        "'code','message'", "'code':{'type':'string','description':'upper case: NOT_FOUND, "
                            "VALIDATION_ERROR…'},'message':{'type':'string'},'details':{"
                            "'type':'object','additionalProperties':{'type':'string'}}")
    ",'request_id':{'type':'string'},'timestamp':" STAMP "}},"
    "'CalldockerEnvelope':{'type':'object','required':['success','data'],'properties':{"
    "'success':{'const':true},'message':{'type':'string'},'data':{}}},"
    "'CalldockerList':{'allOf':[{'$ref':'" REF "CalldockerEnvelope'}],"
    "'required':['pagination'],'properties':{'data':{'type':'array'},'pagination':" OBJECT_OF(
        "'page','limit','total','pages'", "'page':" COUNT ",'limit':{'type':'integer'},"
                                          "'total':" COUNT ",'pages':" COUNT) "}},"
    "'CalldockerError':{'type':'object','required':['success','message'],'properties':{"
    "'success':{'const':false},'message':{'type':'string'},'error':{'type':'string'}}},"
    "'ColdcallerEnvelope':{'description':'coldcaller: data in camelCase','type':'object',"
    "'required':['success','message','data','timestamp'],'properties':{'success':{'const':"
    "true},'message':{'type':'string'},'data':{},'timestamp':" STAMP "}},"
    "'ColdcallerList':{'allOf':[{'$ref':'" REF "ColdcallerEnvelope'}],"
    "'required':['pagination'],'properties':{'data':{'type':'array'},'pagination':" OBJECT_OF(
        "'page','limit','total','totalPages','hasNext','hasPrev'",
        "'page':" COUNT ",'limit':{'type':'integer'},'total':" COUNT ",'totalPages':" COUNT
        ",'hasNext':{'type':'boolean'},'hasPrev':{'type':'boolean'}") "}},"
    "'ColdcallerError':{'description':'coldcaller (and every path it shares): a validation "
    "failure is a 400 with details','type':'object','required':['success','message',"
    "'error','code','timestamp'],'properties':{'success':{'const':false},'message':{'type':"
    "'string'},'code':{'type':'string'},'request_id':{'type':'string'},'error':" OBJECT_OF(
        "'message','status','timestamp'", "'message':{'type':'string'},'status':{'type':"
        "'integer'},'timestamp':" STAMP ",'details':{'$ref':'" REF "ValidationDetails'}")
    ",'timestamp':" STAMP "}}}";

struct json_object *openapi_components(void)
{
    char *text = strdup(dialects);
    if (text == NULL)
        return NULL;
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    struct json_object *o = NULL;
    if (json_parse_object(text, strlen(text), &o) != 0)
        o = NULL;
    free(text);
    return o;
}

/* The families' envelope names, in the order a union lists them. */
static const struct {
    unsigned family;
    const char *one, *list;
} envelopes[] = {
    {FAM_TRANSFER, "TransferEnvelope", "TransferList"},
    {FAM_CALLCENTER, "CallcenterEnvelope", "CallcenterList"},
    {FAM_CALLDOCKER, "CalldockerEnvelope", "CalldockerList"},
    {FAM_COLDCALLER, "ColdcallerEnvelope", "ColdcallerList"},
};

static struct json_object *ref(const char *name)
{
    char text[96];
    snprintf(text, sizeof(text), REF "%s", name);
    struct json_object *o = json_object_new_object();
    return json_done(o, json_set_str(o, "$ref", text));
}

/* The transfer envelope with the route's answer name required in it. */
static struct json_object *transfer_schema(const struct route *rt, const char *envelope)
{
    if (rt->key == NULL)
        return ref(envelope);
    struct json_object *s = json_object_new_object(), *all = json_object_new_array();
    struct json_object *req = json_object_new_array(), *props = json_object_new_object();
    struct json_object *data = json_object_new_object();
    bool list = (rt->flags & ROUTE_LIST) != 0;
    int rc = json_push(all, ref(envelope)) | json_push(req, json_object_new_string(rt->key));
    rc |= json_set_str(data, "type", list ? "array" : "object");
    rc |= json_add(props, rt->key, data);
    rc |= json_add(s, "allOf", all) | json_add(s, "required", req);
    rc |= json_add(s, "properties", props);
    return json_done(s, rc);
}

/* The envelope of family envelopes[i], for one record or a list. */
static struct json_object *family_schema(const struct route *rt, size_t i)
{
    const char *name = (rt->flags & ROUTE_LIST) ? envelopes[i].list : envelopes[i].one;
    return envelopes[i].family == FAM_TRANSFER ? transfer_schema(rt, name) : ref(name);
}

/* One family's envelope, or the allOf of each family's: a shared path answers their union. */
static struct json_object *success_schema(const struct route *rt, unsigned families)
{
    if (families & FAM_PLAIN) {
        struct json_object *o = json_object_new_object();
        return json_done(o, json_set_str(o, "type", "object"));
    }
    struct json_object *all = json_object_new_array();
    int rc = 0;
    for (size_t i = 0; i < sizeof(envelopes) / sizeof(envelopes[0]); i++)
        if (families & envelopes[i].family)
            rc |= json_push(all, family_schema(rt, i));
    if (rc == 0 && all != NULL && json_object_array_length(all) == 1) {
        struct json_object *one = json_object_get(json_object_array_get_idx(all, 0));
        json_object_put(all);
        return one;
    }
    struct json_object *s = json_object_new_object();
    return json_done(s, rc | json_add(s, "allOf", all));
}

/*
 * The error envelope render.c writes for these families: the text error where the
 * transfer or calldocker family reads one (with the others' members beside it), else the
 * callcenter's or coldcaller's object.
 */
static const char *error_schema(unsigned families)
{
    const unsigned text = FAM_TRANSFER | FAM_CALLDOCKER;
    if (families & FAM_COLDCALLER) /* its object wins on every path it calls */
        return "ColdcallerError";
    if (families == FAM_TRANSFER)
        return "TransferError";
    if (families == FAM_CALLDOCKER)
        return "CalldockerError";
    if (families & text)
        return "SharedError";
    return "CallcenterError";
}

/* Whether the route can answer this error status, from what it declares. */
static bool answers(const struct route *rt, int status)
{
    bool token = rt->roles != ROLES_PUBLIC, writes = strcmp(rt->method, "GET") != 0;
    bool query = (rt->flags & ROUTE_LIST) && !(rt->flags & ROUTE_WHOLE);
    switch (status) {
    case 400: /* a body that is not a JSON object */
    case 413: /* over max_body_bytes */
        return rt->body != NULL;
    case 401: return token;
    case 403: return token && rt->roles != ROLES_ANY;
    case 404: return strchr(rt->pattern, ':') != NULL; /* no such record in the tenant */
    case 409: return writes; /* a duplicate or a reference (request_db_error), a state */
    /* A list's resource: its filters and sort keys are read from the query. */
    case 422: return rt->body != NULL || query || (rt->resource && (rt->flags & ROUTE_LIST));
    case 429: return (rt->flags & ROUTE_THROTTLED) != 0;
    case 503: return true; /* the database is away */
    default: return false;
    }
}

/* {description, content} for an answer; status 0 is `default`. */
static struct json_object *response(int status, struct json_object *schema)
{
    struct json_object *r = json_object_new_object();
    const char *text = status ? http_status_text(status)
                              : "Any other error (docs/api.md lists each status and code)";
    int rc = json_set_str(r, "description", text);
    rc |= json_add(r, "content", openapi_json_content(schema));
    return json_done(r, rc);
}

/* The success answer; a replayed create says so in a header. */
static struct json_object *success(const struct route *rt, unsigned families, int status)
{
    if (rt->answer_media != NULL) { /* a file: its bytes, ranges served by nginx */
        struct json_object *f = json_object_new_object();
        int frc = json_set_str(f, "description", http_status_text(status));
        frc |= json_add(f, "content", openapi_binary_content(rt->answer_media));
        return json_done(f, frc);
    }
    struct json_object *r = response(status, success_schema(rt, families));
    if (r == NULL || !(rt->flags & ROUTE_IDEMPOTENT))
        return r;
    struct json_object *headers = json_object_new_object(), *h = json_object_new_object();
    struct json_object *s = json_object_new_object();
    int rc = json_set_str(s, "type", "string");
    rc |= json_set_str(h, "description", "true when this is the kept answer to the key");
    rc |= json_add(h, "schema", s);
    rc |= json_add(headers, "Idempotent-Replayed", h);
    return json_done(r, rc | json_add(r, "headers", headers));
}

struct json_object *openapi_responses(const struct route *rt, unsigned families)
{
    static const int errors[] = {400, 401, 403, 404, 409, 413, 422, 429, 503};
    int status = rt->status;
    if (status == 0)
        status = strcmp(rt->method, "POST") == 0 && (rt->flags & ROUTE_IDEMPOTENT) ? 201 : 200;
    char code[16];
    snprintf(code, sizeof(code), "%d", status);
    struct json_object *res = json_object_new_object();
    int rc = json_add(res, code, success(rt, families, status));
    /* A plain route answers without work: no error of its own beyond nginx's. */
    if (families & FAM_PLAIN)
        return json_done(res, rc);
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        if (!answers(rt, errors[i]))
            continue;
        snprintf(code, sizeof(code), "%d", errors[i]);
        rc |= json_add(res, code, response(errors[i], ref(error_schema(families))));
    }
    rc |= json_add(res, "default", response(0, ref(error_schema(families))));
    return json_done(res, rc);
}
