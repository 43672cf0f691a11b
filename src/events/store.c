/*
 * Tenants, events and the ring of recently delivered events (see events.h).
 *
 * The ring is a circular array of event pointers in the order the feed delivered them,
 * bounded by a count and a byte budget; the oldest goes first. Each tenant also keeps a
 * circular array of its own events in the ring, in seq order without holes, so a replay
 * finds its starting point by subtraction: a client a few events behind costs nothing
 * more than the events it gets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cursor.h"
#include "db.h"
#include "events.h"
#include "jsonutil.h"
#include "log.h"
#include "hash.h"

struct store {
    const unsigned char *key; /* the server key: tenants' cursor ciphers derive from it */
    size_t key_len;
    struct tenant **buckets;
    size_t nbuckets, ntenants;

    struct event **ring;
    size_t cap, head, len; /* ring[(head + i) % cap], i < len, oldest first */
    size_t bytes, max_bytes;
};

/* ---- filters ------------------------------------------------------------------------- */

static int is_call_event(const struct event *e)
{
    return e->call_id != NULL || strncmp(e->type, "call_", 5) == 0 ||
           strncmp(e->type, "transfer_", 9) == 0 || strcmp(e->type, "ai_response") == 0;
}

/* Whether the reader of f is in e's audience (sql/014). An audience of a kind this
 * worker does not know reaches nobody: never more than it names. */
static int audience_match(const struct filter *f, const struct event *e)
{
    const char *a = e->audience;
    if (f->chat_session != NULL)
        return a != NULL && strncmp(a, "chat:", 5) == 0 && strcmp(a + 5, f->chat_session) == 0;
    if (a == NULL || strncmp(a, "chat:", 5) == 0)
        return 1;
    if (strncmp(a, "user:", 5) == 0)
        return f->user_id != NULL && f->user_id[0] != '\0' && strcmp(a + 5, f->user_id) == 0;
    return 0;
}

int filter_match(const struct filter *f, const struct event *e)
{
    /* Control events (a '_' type: session revocations) are for the hub, never a client. */
    if (e->type[0] == '_')
        return 0;
    if (!audience_match(f, e))
        return 0;
    switch (f->scope) {
    case SCOPE_CALL:
        if (e->call_id == NULL || f->call_id == NULL || strcmp(e->call_id, f->call_id) != 0)
            return 0;
        break;
    case SCOPE_CALLS:
        if (!is_call_event(e))
            return 0;
        break;
    case SCOPE_ALL:
        break;
    }
    if (f->ntypes == 0)
        return 1;
    for (size_t i = 0; i < f->ntypes; i++)
        if (strcmp(f->types[i], e->type) == 0)
            return 1;
    return 0;
}

/* ---- tenants ------------------------------------------------------------------------- */

static int tenants_grow(struct store *st)
{
    size_t n = st->nbuckets ? st->nbuckets * 2 : 64;
    struct tenant **b = calloc(n, sizeof(*b));
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < st->nbuckets; i++) {
        struct tenant *t = st->buckets[i];
        while (t != NULL) {
            struct tenant *next = t->hnext;
            t->hnext = b[t->hash & (n - 1)];
            b[t->hash & (n - 1)] = t;
            t = next;
        }
    }
    free(st->buckets);
    st->buckets = b;
    st->nbuckets = n;
    return 0;
}

struct tenant *store_tenant(struct store *st, const char *id)
{
    unsigned h = hash_fnv1a(id);
    for (struct tenant *t = st->buckets[h & (st->nbuckets - 1)]; t != NULL; t = t->hnext)
        if (t->hash == h && strcmp(t->id, id) == 0)
            return t;
    if (st->ntenants >= st->nbuckets && tenants_grow(st) != 0)
        return NULL;
    size_t len = strlen(id);
    struct tenant *t = calloc(1, sizeof(*t) + len + 1);
    if (t == NULL)
        return NULL;
    memcpy(t->id, id, len + 1);
    t->cursor = cursor_cipher_new(st->key, st->key_len, id);
    if (t->cursor == NULL) {
        free(t);
        return NULL;
    }
    t->hash = h;
    t->hnext = st->buckets[h & (st->nbuckets - 1)];
    st->buckets[h & (st->nbuckets - 1)] = t;
    st->ntenants++;
    return t;
}

size_t store_tenants(const struct store *st)
{
    return st->ntenants;
}

/* ---- events -------------------------------------------------------------------------- */

static int is_reserved(const char *key)
{
    return strcmp(key, "id") == 0 || strcmp(key, "type") == 0 || strcmp(key, "tenant_id") == 0 ||
           strcmp(key, "call_id") == 0 || strcmp(key, "timestamp") == 0;
}

struct event *event_build(struct store *st, unsigned long long id, const char *tenant_id,
                          const char *call_id, const char *type, const char *payload,
                          size_t payload_len, const char *created_at)
{
    struct tenant *t = store_tenant(st, tenant_id);
    if (t == NULL)
        return NULL;
    struct json_object *obj = json_object_new_object();
    if (obj == NULL)
        return NULL;
    struct event *e = NULL;
    char cursor[CURSOR_TEXT_LEN + 1];
    if (cursor_encode(t->cursor, id, cursor) != 0)
        goto out;
    if (json_set_str(obj, "id", cursor) != 0 || json_set_str(obj, "type", type) != 0 ||
        json_set_str(obj, "tenant_id", tenant_id) != 0 ||
        json_set_str(obj, "call_id", call_id) != 0 ||
        json_set_str(obj, "timestamp", created_at) != 0)
        goto out;
    if (payload != NULL) {
        struct json_object *pl = NULL;
        if (json_parse_value(payload, payload_len, &pl) != 0) {
            /* The column has a JSON_VALID check; keep the event, lose the payload. */
            log_warn("events: event %llu: payload is not valid JSON; sent without it", id);
        } else if (json_object_is_type(pl, json_type_object)) {
            json_object_object_foreach(pl, key, val)
            {
                if (is_reserved(key))
                    continue;
                if (json_object_object_add(obj, key, json_object_get(val)) != 0) {
                    json_object_put(val);
                    json_object_put(pl);
                    goto out;
                }
            }
            json_object_put(pl);
        } else if (pl != NULL) {
            /* Not an object (the pool always writes objects): under "payload". */
            if (json_set(obj, "payload", pl) != 0)
                goto out;
        }
    }
    size_t jlen;
    const char *json = json_text(obj, &jlen);
    if (json == NULL)
        goto out;
    char head[48];
    int hn = snprintf(head, sizeof(head), "id: %s\ndata: ", cursor);
    if (hn < 0 || (size_t)hn >= sizeof(head))
        goto out;
    size_t tlen = strlen(type), clen = call_id ? strlen(call_id) : 0;
    size_t frame_len = (size_t)hn + jlen + 2;
    size_t size = sizeof(*e) + frame_len + 1 + tlen + 1 + (call_id ? clen + 1 : 0);
    e = malloc(size);
    if (e == NULL)
        goto out;
    e->id = id;
    e->audience = NULL;
    e->tenant = t;
    e->size = size;
    e->frame_len = frame_len;
    e->json_off = (size_t)hn;
    e->json_len = jlen;
    char *p = e->frame;
    memcpy(p, head, (size_t)hn);
    memcpy(p + hn, json, jlen);
    memcpy(p + hn + jlen, "\n\n", 3); /* with the NUL */
    p += frame_len + 1;
    memcpy(p, type, tlen + 1);
    e->type = p;
    p += tlen + 1;
    if (call_id != NULL) {
        memcpy(p, call_id, clen + 1);
        e->call_id = p;
    } else {
        e->call_id = NULL;
    }
out:
    json_object_put(obj);
    return e;
}

struct event *event_from_row(struct store *st, const struct db_result *res, size_t row)
{
    const char *id = db_cell(res, row, 0), *tenant = db_cell(res, row, 1);
    const char *call = db_cell(res, row, 2), *type = db_cell(res, row, 3);
    const char *payload = db_cell(res, row, 4), *created = db_cell(res, row, 5);
    if (id == NULL || tenant == NULL || type == NULL || created == NULL) {
        errno = EINVAL;
        return NULL;
    }
    size_t plen = payload ? res->cells[row * res->ncols + 4].len : 0;
    struct event *e =
        event_build(st, strtoull(id, NULL, 10), tenant, call, type, payload, plen, created);
    const char *audience = res->ncols > 6 ? db_cell(res, row, 6) : NULL;
    if (e != NULL && audience != NULL && *audience != '\0') {
        e->audience = strdup(audience);
        if (e->audience == NULL) {
            /* Never deliver an event to more readers than its audience. */
            event_free(e);
            return NULL;
        }
        e->size += strlen(audience) + 1;
    }
    return e;
}

void event_free(struct event *e)
{
    if (e != NULL)
        free(e->audience);
    free(e);
}

/* ---- the ring ------------------------------------------------------------------------ */

struct store *store_create(size_t max_events, size_t max_bytes, const unsigned char *key,
                           size_t key_len)
{
    struct store *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->key = key;
    st->key_len = key_len;
    st->cap = max_events ? max_events : 1;
    st->max_bytes = max_bytes;
    st->ring = calloc(st->cap, sizeof(*st->ring));
    if (st->ring == NULL || tenants_grow(st) != 0) {
        store_destroy(st);
        return NULL;
    }
    return st;
}

/* The tenant's oldest event leaves its part of the ring (when it is still there: a tenant
 * restarted by store_tenant_start() no longer holds it). */
static void tenant_ring_drop(struct tenant *t, const struct event *e)
{
    if (t->ring_len == 0 || t->ring[t->ring_head] != e)
        return;
    t->ring[t->ring_head] = NULL;
    t->ring_head = (t->ring_head + 1) % t->ring_cap;
    t->ring_len--;
    t->ring_floor = e->id;
}

static void ring_evict(struct store *st)
{
    struct event *e = st->ring[st->head];
    st->ring[st->head] = NULL;
    st->head = (st->head + 1) % st->cap;
    st->len--;
    st->bytes -= e->size;
    tenant_ring_drop(e->tenant, e);
    event_free(e);
}

static int tenant_ring_grow(struct tenant *t)
{
    size_t cap = t->ring_cap ? t->ring_cap * 2 : 16;
    struct event **r = malloc(cap * sizeof(*r));
    if (r == NULL)
        return -1;
    for (size_t i = 0; i < t->ring_len; i++)
        r[i] = t->ring[(t->ring_head + i) % t->ring_cap];
    free(t->ring);
    t->ring = r;
    t->ring_cap = cap;
    t->ring_head = 0;
    return 0;
}

void store_tenant_start(struct tenant *t, unsigned long long seq)
{
    t->ring_head = t->ring_len = 0;
    t->ring_floor = seq;
}

void store_ring_push(struct store *st, struct event *e)
{
    struct tenant *t = e->tenant;
    while (st->len > 0 && (st->len == st->cap || st->bytes + e->size > st->max_bytes))
        ring_evict(st);
    /* Not the next seq (cannot happen: the feed delivers each tenant's seqs in order), or
     * no room in the tenant's part: its part restarts here, replays before it read the
     * database. */
    if (e->id != t->ring_floor + t->ring_len + 1 ||
        (t->ring_len == t->ring_cap && tenant_ring_grow(t) != 0))
        store_tenant_start(t, e->id - 1);
    if (t->ring_cap > 0) {
        t->ring[(t->ring_head + t->ring_len) % t->ring_cap] = e;
        t->ring_len++;
    } else {
        t->ring_floor = e->id;
    }
    st->ring[(st->head + st->len) % st->cap] = e;
    st->len++;
    st->bytes += e->size;
}

const struct event *store_ring_event(const struct tenant *t, unsigned long long seq)
{
    if (seq <= t->ring_floor || seq - t->ring_floor > t->ring_len)
        return NULL;
    return t->ring[(t->ring_head + (seq - t->ring_floor - 1)) % t->ring_cap];
}

size_t store_ring_len(const struct store *st)
{
    return st->len;
}

void store_destroy(struct store *st)
{
    if (st == NULL)
        return;
    if (st->ring != NULL)
        while (st->len > 0)
            ring_evict(st);
    free(st->ring);
    for (size_t i = 0; i < st->nbuckets; i++) {
        struct tenant *t = st->buckets[i];
        while (t != NULL) {
            struct tenant *next = t->hnext;
            cursor_cipher_free(t->cursor);
            free(t->ring);
            free(t);
            t = next;
        }
    }
    free(st->buckets);
    free(st);
}
