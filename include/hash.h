#ifndef SB_HASH_H
#define SB_HASH_H
/* FNV-1a over a NUL-terminated string: small in-process hash tables (qb's interned texts,
 * the event worker's tenants). Not for anything an attacker may choose many keys of. */
static inline unsigned hash_fnv1a(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

#endif
