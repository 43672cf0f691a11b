#ifndef SWITCHBOARD_DB_NODES_H
#define SWITCHBOARD_DB_NODES_H

#include <stddef.h>

/*
 * The database nodes a process may use (issue 13: a Galera cluster's nodes), as the
 * configuration lists them: comma-separated, each a unix socket path or host[:port]
 * (3306). db.c connects to the node that answered last and, when it does not, to the next.
 */
struct db_node {
    char host[256];   /* "" for a unix socket */
    char socket[256]; /* "" for TCP */
    unsigned port;
};

/* How many nodes list names (0 for an empty list). */
size_t db_nodes_count(const char *list);
/* Node i of list into out; -1 when there is none or it cannot be read. */
int db_node_at(const char *list, size_t i, struct db_node *out);

#endif
