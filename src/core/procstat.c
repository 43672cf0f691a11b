/* The process's memory (procstat.h). */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

int procstat_memory(struct procstat_mem *m)
{
    memset(m, 0, sizeof(*m));
    /* Under ASan mallinfo2 sees only glibc's own heap: these read low in test builds. */
    struct mallinfo2 mi = mallinfo2();
    m->heap_used = (unsigned long long)(mi.uordblks + mi.hblkhd);
    m->heap_total = (unsigned long long)(mi.arena + mi.hblkhd);
    long page = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/self/statm", "re");
    if (f == NULL)
        return -1;
    unsigned long long size = 0, resident = 0;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    if (n != 2 || page <= 0)
        return -1;
    m->vm_bytes = size * (unsigned long long)page;
    m->rss_bytes = resident * (unsigned long long)page;
    return 0;
}
