/* Survey questions and answers (survey_form.h). */
#include "survey_form.h"

#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "arena.h"
#include "jsonutil.h"
#include "request.h"
#include "validate.h"

static const char *const types[] = {"rating", "nps", "yes_no", "text", NULL};

static bool is_qid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

static bool known_type(const char *t)
{
    for (size_t i = 0; types[i] != NULL; i++)
        if (strcmp(types[i], t) == 0)
            return true;
    return false;
}

/* "questions[i].member" in the arena (a static text when out of memory). */
static const char *qname(struct request *r, size_t i, const char *member)
{
    const char *s = arena_printf(r->arena, "questions[%zu]%s%s", i, member ? "." : "",
                                 member ? member : "");
    return s ? s : "questions";
}

static const char *str_member(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static size_t chars_of(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* One question: its reasons recorded; the stored form, or NULL when invalid. */
static struct json_object *question_check(struct request *r, struct json_object *q, size_t i,
                                          struct json_object *seen)
{
    if (!json_object_is_type(q, json_type_object)) {
        request_field_error(r, qname(r, i, NULL), "must be an object");
        return NULL;
    }
    const char *id = str_member(q, "id"), *label = str_member(q, "label");
    const char *type = str_member(q, "type");
    struct json_object *req = NULL;
    bool has_req = json_object_object_get_ex(q, "required", &req) && req != NULL;
    bool ok = true;
    if (id == NULL || !is_qid(id)) {
        request_field_error(r, qname(r, i, "id"), "must be 1 to 64 letters, digits, _ or -");
        ok = false;
    } else if (json_object_object_get_ex(seen, id, NULL)) {
        request_field_error(r, qname(r, i, "id"), "is the id of another question");
        ok = false;
    }
    if (label == NULL || label[0] == '\0' || chars_of(label) > 500 ||
        validate_text(label, strlen(label)) != 0) {
        request_field_error(r, qname(r, i, "label"), "must be text of 1 to 500 characters");
        ok = false;
    }
    if (type == NULL || !known_type(type)) {
        request_field_error(r, qname(r, i, "type"), "must be rating, nps, yes_no or text");
        ok = false;
    }
    if (has_req && !json_object_is_type(req, json_type_boolean)) {
        request_field_error(r, qname(r, i, "required"), "must be true or false");
        ok = false;
    }
    if (!ok)
        return NULL;
    json_object_object_add(seen, id, NULL);
    struct json_object *o = json_object_new_object();
    int rc = json_set_str(o, "id", id) || json_set_str(o, "label", label) ||
             json_set_str(o, "type", type) ||
             json_set_bool(o, "required", has_req && json_object_get_boolean(req));
    return json_done(o, rc);
}

int survey_questions_check(struct request *r, struct json_object *questions, const char **text)
{
    *text = NULL;
    size_t n = json_object_is_type(questions, json_type_array)
                   ? json_object_array_length(questions)
                   : 0;
    if (n == 0 || n > SURVEY_QUESTIONS_MAX) {
        request_field_error(r, "questions", "must be a list of 1 to 50 questions");
        return -1;
    }
    struct json_object *seen = arena_json(r->arena, json_object_new_object());
    struct json_object *out = arena_json(r->arena, json_object_new_array());
    if (seen == NULL || out == NULL)
        return -1;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        struct json_object *q = question_check(r, json_object_array_get_idx(questions, i), i, seen);
        if (q == NULL)
            ok = false;
        else if (json_object_array_add(out, q) != 0) {
            json_object_put(q);
            return -1;
        }
    }
    if (!ok)
        return -1;
    *text = json_text(out, NULL);
    return *text ? 0 : -1;
}

/* One answer of question q: its reason recorded (under "answers.<id>") when invalid. */
static bool answer_ok(struct request *r, const char *type, const char *field,
                      struct json_object *v, int *score)
{
    *score = -1;
    if (strcmp(type, "yes_no") == 0) {
        if (json_object_is_type(v, json_type_boolean))
            return true;
        request_field_error(r, field, "must be true or false");
        return false;
    }
    if (strcmp(type, "text") == 0) {
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                 : NULL;
        if (s != NULL && chars_of(s) <= SURVEY_TEXT_MAX && validate_text(s, strlen(s)) == 0)
            return true;
        request_field_error(r, field, "must be text of at most 2000 characters");
        return false;
    }
    int lo = strcmp(type, "rating") == 0 ? 1 : 0, hi = lo ? 5 : 10;
    int64_t n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
    if (n >= lo && n <= hi) {
        *score = (int)n;
        return true;
    }
    request_field_error(r, field, lo ? "must be an integer from 1 to 5"
                                     : "must be an integer from 0 to 10");
    return false;
}

/* Every answer names a question of the survey. */
static bool no_strangers(struct request *r, struct json_object *questions,
                         struct json_object *answers)
{
    bool ok = true;
    json_object_object_foreach(answers, key, val)
    {
        (void)val;
        bool found = false;
        for (size_t i = 0; !found && i < json_object_array_length(questions); i++) {
            const char *id = str_member(json_object_array_get_idx(questions, i), "id");
            found = id != NULL && strcmp(id, key) == 0;
        }
        if (!found) {
            const char *f = arena_printf(r->arena, "answers.%s", key);
            request_field_error(r, f ? f : "answers", "is not a question of this survey");
            ok = false;
        }
    }
    return ok;
}

int survey_answers_check(struct request *r, struct json_object *questions,
                         struct json_object *answers, const char **text,
                         struct survey_scores *scores)
{
    *text = NULL;
    scores->csat = scores->nps = -1;
    struct json_object *out = arena_json(r->arena, json_object_new_object());
    if (out == NULL || !json_object_is_type(questions, json_type_array))
        return -1;
    bool ok = no_strangers(r, questions, answers);
    for (size_t i = 0; i < json_object_array_length(questions); i++) {
        struct json_object *q = json_object_array_get_idx(questions, i), *v = NULL, *req;
        const char *id = str_member(q, "id"), *type = str_member(q, "type");
        const char *f = id ? arena_printf(r->arena, "answers.%s", id) : NULL;
        if (id == NULL || type == NULL || f == NULL)
            return -1;
        bool given = json_object_object_get_ex(answers, id, &v) && v != NULL;
        if (!given) {
            if (json_object_object_get_ex(q, "required", &req) && json_object_get_boolean(req)) {
                request_field_error(r, f, "is required");
                ok = false;
            }
            continue;
        }
        int score;
        if (!answer_ok(r, type, f, v, &score)) {
            ok = false;
            continue;
        }
        if (strcmp(type, "rating") == 0 && scores->csat < 0)
            scores->csat = score;
        if (strcmp(type, "nps") == 0 && scores->nps < 0)
            scores->nps = score;
        if (json_object_object_add(out, id, json_object_get(v)) != 0)
            return -1;
    }
    if (!ok)
        return -1;
    *text = json_text(out, NULL);
    return *text ? 0 : -1;
}
