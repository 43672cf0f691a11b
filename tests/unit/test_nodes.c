/* nodes.h: the servers a configuration lists. */
#include "nodes.h"
#include "unit.h"

static void nodes_listed(void)
{
    struct node n;
    const char *list = "/run/a.sock, galera-1:3307 ,10.0.0.3";
    CHECK_EQ_INT((int)nodes_count(list), 3);
    REQUIRE(node_at(list, 0, 3306, &n) == 0);
    CHECK_EQ_STR(n.socket, "/run/a.sock");
    CHECK_EQ_STR(n.host, "");
    REQUIRE(node_at(list, 1, 3306, &n) == 0);
    CHECK_EQ_STR(n.host, "galera-1");
    CHECK_EQ_INT((int)n.port, 3307);
    CHECK_EQ_STR(n.socket, "");
    REQUIRE(node_at(list, 2, 3306, &n) == 0);
    CHECK_EQ_STR(n.host, "10.0.0.3");
    CHECK_EQ_INT((int)n.port, 3306);
    CHECK_EQ_INT(node_at(list, 3, 3306, &n), -1);
    /* One socket, as db_socket has always been. */
    CHECK_EQ_INT((int)nodes_count("/run/mysqld/mysqld.sock"), 1);
    CHECK_EQ_INT((int)nodes_count(""), 0);
    CHECK_EQ_INT((int)nodes_count(NULL), 0);
}

static void nodes_refused(void)
{
    struct node n;
    CHECK_EQ_INT(node_at("host:0", 0, 3306, &n), -1);
    CHECK_EQ_INT(node_at("host:65536", 0, 3306, &n), -1);
    CHECK_EQ_INT(node_at("host:33o6", 0, 3306, &n), -1);
    CHECK_EQ_INT(node_at("host:", 0, 3306, &n), -1);
    CHECK_EQ_INT(node_at(":3306", 0, 3306, &n), -1);
    /* An empty entry ends the list. */
    CHECK_EQ_INT((int)nodes_count("a, ,b"), 1);
    CHECK_EQ_INT((int)nodes_count("a,"), 1);
}

const struct ut_case ut_nodes_cases[] = {
    {"nodes_listed", nodes_listed},
    {"nodes_refused", nodes_refused},
    {NULL, NULL},
};
