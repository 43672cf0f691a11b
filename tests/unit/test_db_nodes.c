/* db_nodes.h: the database nodes a configuration lists. */
#include "db_nodes.h"
#include "unit.h"

static void nodes_listed(void)
{
    struct db_node n;
    const char *list = "/run/a.sock, galera-1:3307 ,10.0.0.3";
    CHECK_EQ_INT((int)db_nodes_count(list), 3);
    REQUIRE(db_node_at(list, 0, &n) == 0);
    CHECK_EQ_STR(n.socket, "/run/a.sock");
    CHECK_EQ_STR(n.host, "");
    REQUIRE(db_node_at(list, 1, &n) == 0);
    CHECK_EQ_STR(n.host, "galera-1");
    CHECK_EQ_INT((int)n.port, 3307);
    CHECK_EQ_STR(n.socket, "");
    REQUIRE(db_node_at(list, 2, &n) == 0);
    CHECK_EQ_STR(n.host, "10.0.0.3");
    CHECK_EQ_INT((int)n.port, 3306);
    CHECK_EQ_INT(db_node_at(list, 3, &n), -1);
    /* One socket, as db_socket has always been. */
    CHECK_EQ_INT((int)db_nodes_count("/run/mysqld/mysqld.sock"), 1);
    CHECK_EQ_INT((int)db_nodes_count(""), 0);
    CHECK_EQ_INT((int)db_nodes_count(NULL), 0);
}

static void nodes_refused(void)
{
    struct db_node n;
    CHECK_EQ_INT(db_node_at("host:0", 0, &n), -1);
    CHECK_EQ_INT(db_node_at("host:65536", 0, &n), -1);
    CHECK_EQ_INT(db_node_at("host:33o6", 0, &n), -1);
    CHECK_EQ_INT(db_node_at("host:", 0, &n), -1);
    CHECK_EQ_INT(db_node_at(":3306", 0, &n), -1);
    /* An empty entry ends the list. */
    CHECK_EQ_INT((int)db_nodes_count("a, ,b"), 1);
    CHECK_EQ_INT((int)db_nodes_count("a,"), 1);
}

const struct ut_case ut_db_nodes_cases[] = {
    {"nodes_listed", nodes_listed},
    {"nodes_refused", nodes_refused},
    {NULL, NULL},
};
