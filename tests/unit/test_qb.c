/* qb.h: clauses appended with their parameters, shared parts, limits, interned texts. */
#include <string.h>

#include "arena.h"
#include "qb.h"
#include "unit.h"

static unsigned ut_marks(const char *sql)
{
    unsigned n = 0;
    for (; *sql; sql++)
        n += *sql == '?';
    return n;
}

static void clauses_bind_in_order(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    struct qb q;
    qb_init(&q, a);
    qb_addv(&q, "SELECT id FROM calls WHERE tenant_id = ?", DB_STR("t1"));
    qb_addv(&q, " AND status IN (?, ?)", DB_STR("active"), DB_STR("ringing"));
    qb_add(&q, " ORDER BY start_time DESC");
    qb_addv(&q, " LIMIT ?", DB_INT(50));
    CHECK(!q.failed);
    CHECK_EQ_STR(q.sql, "SELECT id FROM calls WHERE tenant_id = ? AND status IN (?, ?)"
                        " ORDER BY start_time DESC LIMIT ?");
    CHECK_EQ_INT(q.nparams, 4);
    CHECK_EQ_INT(ut_marks(q.sql), q.nparams);
    CHECK_EQ_STR(q.params[0].s, "t1");
    CHECK_EQ_STR(q.params[2].s, "ringing");
    CHECK_EQ_INT(q.params[3].type, DB_T_INT);
    CHECK_EQ_INT(q.params[3].i, 50);
    arena_destroy(a);
}

static void shared_where_for_count_and_page(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    struct qb where, count, page;
    qb_init(&where, a);
    qb_addv(&where, " WHERE tenant_id = ?", DB_STR("t1"));
    qb_addv(&where, " AND caller_number LIKE ?", DB_STR("%555%"));
    qb_init(&count, a);
    qb_add(&count, "SELECT COUNT(*) FROM calls");
    qb_append(&count, &where);
    qb_init(&page, a);
    qb_add(&page, "SELECT id FROM calls");
    qb_append(&page, &where);
    qb_addv(&page, " LIMIT ? OFFSET ?", DB_INT(10), DB_INT(20));
    CHECK_EQ_STR(count.sql, "SELECT COUNT(*) FROM calls WHERE tenant_id = ? AND caller_number"
                            " LIKE ?");
    CHECK_EQ_INT(count.nparams, 2);
    CHECK_EQ_INT(page.nparams, 4);
    CHECK_EQ_INT(ut_marks(page.sql), 4);
    CHECK_EQ_STR(page.params[1].s, "%555%");
    CHECK_EQ_INT(page.params[3].i, 20);
    /* An empty part adds nothing. */
    struct qb none;
    qb_init(&none, a);
    qb_append(&count, &none);
    CHECK_EQ_INT(count.nparams, 2);
    arena_destroy(a);
}

static void too_many_parameters_fail(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    struct qb q;
    qb_init(&q, a);
    qb_add(&q, "SELECT 1 WHERE 1");
    for (int i = 0; i < QB_MAX_PARAMS; i++)
        qb_addv(&q, " AND ?", DB_INT(i));
    CHECK(!q.failed);
    qb_addv(&q, " AND ?", DB_INT(99));
    CHECK(q.failed);
    CHECK(qb_sql(&q) == NULL);
    CHECK_EQ_INT(qb_exec(&q, NULL, NULL), DB_ERROR);
    /* A failed part fails the whole. */
    struct qb whole;
    qb_init(&whole, a);
    qb_add(&whole, "SELECT 1");
    qb_append(&whole, &q);
    CHECK(whole.failed);
    arena_destroy(a);
}

static void same_text_same_copy(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    struct qb q1, q2, q3;
    qb_init(&q1, a);
    qb_init(&q2, a);
    qb_init(&q3, a);
    qb_addv(&q1, "SELECT ut_qb FROM t WHERE a = ?", DB_INT(1));
    qb_add(&q2, "SELECT ut_qb FROM t");
    qb_addv(&q2, " WHERE a = ?", DB_INT(2));
    qb_addv(&q3, "SELECT ut_qb FROM t WHERE b = ?", DB_INT(1));
    const char *s1 = qb_sql(&q1), *s2 = qb_sql(&q2), *s3 = qb_sql(&q3);
    REQUIRE(s1 != NULL && s2 != NULL && s3 != NULL);
    /* db.c caches prepared statements by text address: one statement per text. */
    CHECK(s1 == s2);
    CHECK(s1 != s3);
    CHECK(s1 != q1.sql); /* the copy outlives the request's arena */
    CHECK_EQ_STR(s1, q1.sql);
    arena_destroy(a);
}

const struct ut_case ut_qb_cases[] = {
    {"clauses_bind_in_order", clauses_bind_in_order},
    {"shared_where_for_count_and_page", shared_where_for_count_and_page},
    {"too_many_parameters_fail", too_many_parameters_fail},
    {"same_text_same_copy", same_text_same_copy},
    {NULL, NULL},
};
