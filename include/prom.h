#ifndef SB_PROM_H
#define SB_PROM_H
/*
 * The Prometheus text exposition format, version 0.0.4: a growing buffer and the lines of
 * it (`# HELP`, `# TYPE`, samples with escaped labels, cumulative histograms). Pure: no
 * I/O, no globals; the pool's /metrics (metrics.c) and the event worker's both write with
 * it, so their texts can be joined into one scrape.
 *
 * Every metric family is written as one block: prom_family() once, then its samples.
 * Label values are escaped (backslash, double quote, line feed); names are the caller's
 * and must match [a-zA-Z_:][a-zA-Z0-9_:]*.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom_label {
    const char *name;
    const char *value;
};

/* `# HELP name help` (help escaped) and `# TYPE name type` (counter, gauge, histogram). */
void prom_family(struct buf *b, const char *name, const char *type, const char *help);
/* A label value as it goes between the quotes: \ " and line feed escaped. */
void prom_label_value(struct buf *b, const char *v);
/* `name{a="x",b="y"} value` (no braces without labels). */
void prom_sample_u64(struct buf *b, const char *name, const struct prom_label *labels,
                     size_t nlabels, uint64_t value);
void prom_sample_f64(struct buf *b, const char *name, const struct prom_label *labels,
                     size_t nlabels, double value);

/*
 * A histogram's bucket bounds: `bound[i]` in the caller's unit (nanoseconds for
 * durations), `le[i]` the same bound as the label writes it in the metric's unit
 * ("0.005" seconds). Ascending; +Inf is implicit.
 */
struct prom_buckets {
    size_t n;
    const uint64_t *bound;
    const char *const *le;
};

/* The bucket an observation falls in: the first i with v <= bound[i], or n (+Inf only). */
size_t prom_bucket_index(const struct prom_buckets *bk, uint64_t v);

/*
 * One labelled histogram series: `name_bucket{…,le="…"}` cumulative over counts (n + 1
 * per-bucket counts, the last one past every bound), the +Inf bucket, `name_sum` (sum in
 * the caller's unit divided by unit_per_1, e.g. 1e9 for nanoseconds to seconds) and
 * `name_count`. name is the family's name without a suffix.
 */
void prom_histogram(struct buf *b, const char *name, const struct prom_label *labels,
                    size_t nlabels, const struct prom_buckets *bk, const uint64_t *counts,
                    uint64_t sum, uint64_t unit_per_1);

#endif
