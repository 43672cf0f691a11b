/* The Prometheus text exposition format 0.0.4 (prom.h). */
#include "prom.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Escapes backslash and line feed, and the double quote when quoted (label values). */
static void escaped(struct buf *b, const char *v, int quoted)
{
    const char *run = v;
    for (const char *p = v; *p != '\0'; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\n' ? "\\n"
                                             : (*p == '"' && quoted) ? "\\\"" : NULL;
        if (esc == NULL)
            continue;
        buf_add(b, run, (size_t)(p - run));
        buf_add(b, esc, 2);
        run = p + 1;
    }
    buf_str(b, run);
}

void prom_label_value(struct buf *b, const char *v)
{
    escaped(b, v, 1);
}

void prom_family(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_str(b, "# HELP ");
    buf_str(b, name);
    buf_add(b, " ", 1);
    escaped(b, help, 0);
    buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* name, suffix and {labels…, extra="…"}: everything of a sample line but its value. */
static void series(struct buf *b, const char *name, const char *suffix,
                   const struct prom_label *labels, size_t n, const char *extra_name,
                   const char *extra_value)
{
    buf_str(b, name);
    buf_str(b, suffix);
    if (n == 0 && extra_name == NULL)
        return;
    buf_add(b, "{", 1);
    for (size_t i = 0; i < n; i++) {
        buf_printf(b, "%s%s=\"", i ? "," : "", labels[i].name);
        prom_label_value(b, labels[i].value);
        buf_add(b, "\"", 1);
    }
    if (extra_name != NULL)
        buf_printf(b, "%s%s=\"%s\"", n ? "," : "", extra_name, extra_value);
    buf_add(b, "}", 1);
}

void prom_sample_u64(struct buf *b, const char *name, const struct prom_label *labels,
                     size_t nlabels, uint64_t value)
{
    series(b, name, "", labels, nlabels, NULL, NULL);
    buf_printf(b, " %" PRIu64 "\n", value);
}

void prom_sample_f64(struct buf *b, const char *name, const struct prom_label *labels,
                     size_t nlabels, double value)
{
    series(b, name, "", labels, nlabels, NULL, NULL);
    buf_printf(b, " %.15g\n", value);
}

size_t prom_bucket_index(const struct prom_buckets *bk, uint64_t v)
{
    size_t lo = 0, hi = bk->n;
    while (lo < hi) { /* the first bound >= v */
        size_t mid = lo + (hi - lo) / 2;
        if (bk->bound[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* sum / unit as an exact decimal when unit is a power of ten (1e9: nanoseconds). */
static void put_scaled(struct buf *b, uint64_t sum, uint64_t unit)
{
    int digits = 0;
    uint64_t u = unit;
    while (u > 1 && u % 10 == 0) {
        u /= 10;
        digits++;
    }
    if (unit <= 1)
        buf_printf(b, "%" PRIu64, sum);
    else if (u == 1)
        buf_printf(b, "%" PRIu64 ".%0*" PRIu64, sum / unit, digits, sum % unit);
    else
        buf_printf(b, "%.17g", (double)sum / (double)unit);
}

void prom_histogram(struct buf *b, const char *name, const struct prom_label *labels,
                    size_t nlabels, const struct prom_buckets *bk, const uint64_t *counts,
                    uint64_t sum, uint64_t unit_per_1)
{
    uint64_t total = 0;
    for (size_t i = 0; i < bk->n; i++) {
        total += counts[i];
        series(b, name, "_bucket", labels, nlabels, "le", bk->le[i]);
        buf_printf(b, " %" PRIu64 "\n", total);
    }
    total += counts[bk->n];
    series(b, name, "_bucket", labels, nlabels, "le", "+Inf");
    buf_printf(b, " %" PRIu64 "\n", total);
    series(b, name, "_sum", labels, nlabels, NULL, NULL);
    buf_add(b, " ", 1);
    put_scaled(b, sum, unit_per_1);
    buf_add(b, "\n", 1);
    series(b, name, "_count", labels, nlabels, NULL, NULL);
    buf_printf(b, " %" PRIu64 "\n", total);
}
