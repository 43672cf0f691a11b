#ifndef SWITCHBOARD_NODES_H
#define SWITCHBOARD_NODES_H

#include <stddef.h>

/*
 * The servers a configuration lists (issue 13: db_nodes, a Galera cluster's nodes;
 * memcached_servers): comma-separated, each a unix socket path or host[:port]; an empty
 * entry ends the list. db.c connects to the node that answered last and, when it does not,
 * to the next; cache.c puts them all in its ring.
 */
struct node {
    char host[256];   /* "" for a unix socket */
    char socket[256]; /* "" for TCP */
    unsigned port;
};

/* How many nodes list names (0 for an empty list). */
size_t nodes_count(const char *list);
/* Node i of list into out, default_port when it names none; -1 when there is none or it
 * cannot be read. */
int node_at(const char *list, size_t i, unsigned default_port, struct node *out);

#endif
