#ifndef SB_PROCSTAT_H
#define SB_PROCSTAT_H
/*
 * The calling process's own memory, for health answers (GET /api/health/monitoring) and
 * coldcaller's metricsUpdate: cheap (one read of /proc/self/statm and mallinfo2), so the
 * event worker's loop may call it every period.
 */
struct procstat_mem {
    unsigned long long rss_bytes;  /* resident set */
    unsigned long long vm_bytes;   /* virtual size */
    unsigned long long heap_used;  /* malloc'd and in use (mallinfo2 uordblks + hblkhd) */
    unsigned long long heap_total; /* obtained from the system by malloc (arena + hblkhd) */
};

/* 0, or -1 when /proc/self/statm cannot be read (the heap figures are filled anyway). */
int procstat_memory(struct procstat_mem *m);

#endif
