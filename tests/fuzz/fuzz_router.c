/* The router's path matching over the real route table: "METHOD\npath". */
#include <stdlib.h>

#include "fuzz.h"
#include "router.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *method = fuzz_cstr(data, size);
    if (method == NULL)
        return 0;
    char *path = fuzz_split(method, '\n');
    struct route_match m;
    (void)router_match(route_table, route_table_len, method, path, &m);
    free(method);
    return 0;
}
