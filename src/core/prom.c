/* The Prometheus text exposition format 0.0.4 (prom.h). */
#include "prom.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prom_init(struct prom_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void prom_free(struct prom_buf *b)
{
    free(b->p);
    prom_init(b);
}

/* Room for n more bytes and a NUL. */
static int reserve(struct prom_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void prom_put(struct prom_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void prom_puts(struct prom_buf *b, const char *s)
{
    prom_put(b, s, strlen(s));
}

void prom_printf(struct prom_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        prom_put(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Escapes backslash and line feed, and the double quote when quoted (label values). */
static void escaped(struct prom_buf *b, const char *v, int quoted)
{
    const char *run = v;
    for (const char *p = v; *p != '\0'; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\n' ? "\\n"
                                             : (*p == '"' && quoted) ? "\\\"" : NULL;
        if (esc == NULL)
            continue;
        prom_put(b, run, (size_t)(p - run));
        prom_put(b, esc, 2);
        run = p + 1;
    }
    prom_puts(b, run);
}

void prom_label_value(struct prom_buf *b, const char *v)
{
    escaped(b, v, 1);
}

void prom_family(struct prom_buf *b, const char *name, const char *type, const char *help)
{
    prom_puts(b, "# HELP ");
    prom_puts(b, name);
    prom_put(b, " ", 1);
    escaped(b, help, 0);
    prom_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* name, suffix and {labels…, extra="…"}: everything of a sample line but its value. */
static void series(struct prom_buf *b, const char *name, const char *suffix,
                   const struct prom_label *labels, size_t n, const char *extra_name,
                   const char *extra_value)
{
    prom_puts(b, name);
    prom_puts(b, suffix);
    if (n == 0 && extra_name == NULL)
        return;
    prom_put(b, "{", 1);
    for (size_t i = 0; i < n; i++) {
        prom_printf(b, "%s%s=\"", i ? "," : "", labels[i].name);
        prom_label_value(b, labels[i].value);
        prom_put(b, "\"", 1);
    }
    if (extra_name != NULL)
        prom_printf(b, "%s%s=\"%s\"", n ? "," : "", extra_name, extra_value);
    prom_put(b, "}", 1);
}

void prom_sample_u64(struct prom_buf *b, const char *name, const struct prom_label *labels,
                     size_t nlabels, uint64_t value)
{
    series(b, name, "", labels, nlabels, NULL, NULL);
    prom_printf(b, " %" PRIu64 "\n", value);
}

void prom_sample_f64(struct prom_buf *b, const char *name, const struct prom_label *labels,
                     size_t nlabels, double value)
{
    series(b, name, "", labels, nlabels, NULL, NULL);
    prom_printf(b, " %.15g\n", value);
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
static void put_scaled(struct prom_buf *b, uint64_t sum, uint64_t unit)
{
    int digits = 0;
    uint64_t u = unit;
    while (u > 1 && u % 10 == 0) {
        u /= 10;
        digits++;
    }
    if (unit <= 1)
        prom_printf(b, "%" PRIu64, sum);
    else if (u == 1)
        prom_printf(b, "%" PRIu64 ".%0*" PRIu64, sum / unit, digits, sum % unit);
    else
        prom_printf(b, "%.17g", (double)sum / (double)unit);
}

void prom_histogram(struct prom_buf *b, const char *name, const struct prom_label *labels,
                    size_t nlabels, const struct prom_buckets *bk, const uint64_t *counts,
                    uint64_t sum, uint64_t unit_per_1)
{
    uint64_t total = 0;
    for (size_t i = 0; i < bk->n; i++) {
        total += counts[i];
        series(b, name, "_bucket", labels, nlabels, "le", bk->le[i]);
        prom_printf(b, " %" PRIu64 "\n", total);
    }
    total += counts[bk->n];
    series(b, name, "_bucket", labels, nlabels, "le", "+Inf");
    prom_printf(b, " %" PRIu64 "\n", total);
    series(b, name, "_sum", labels, nlabels, NULL, NULL);
    prom_put(b, " ", 1);
    put_scaled(b, sum, unit_per_1);
    prom_put(b, "\n", 1);
    series(b, name, "_count", labels, nlabels, NULL, NULL);
    prom_printf(b, " %" PRIu64 "\n", total);
}
