/*
 * hash.h - a 128-bit hash of a byte string (private to the library).
 *
 * MurmurHash3's x64 128-bit construction, written for llamafmt: fast, well
 * mixed and the same on every platform (little-endian reads, fixed
 * constants), so split assignments and duplicate detection are
 * reproducible.  Not cryptographic.
 */
#ifndef LLAMAFMT_HASH_H
#define LLAMAFMT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t lf_rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t lf_fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static inline uint64_t lf_load64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline void lf_hash128(const void *data, size_t n, uint64_t seed, uint64_t out[2])
{
    const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
    const unsigned char *p = data;
    uint64_t h1 = seed, h2 = seed;
    size_t blocks = n / 16;
    for (size_t i = 0; i < blocks; i++, p += 16) {
        uint64_t k1 = lf_load64(p), k2 = lf_load64(p + 8);
        k1 *= c1, k1 = lf_rotl64(k1, 31), k1 *= c2, h1 ^= k1;
        h1 = lf_rotl64(h1, 27), h1 += h2, h1 = h1 * 5 + 0x52dce729;
        k2 *= c2, k2 = lf_rotl64(k2, 33), k2 *= c1, h2 ^= k2;
        h2 = lf_rotl64(h2, 31), h2 += h1, h2 = h2 * 5 + 0x38495ab5;
    }
    unsigned char tail[16] = {0};
    size_t rest = n % 16;
    if (rest > 0) {
        memcpy(tail, p, rest);
        uint64_t k1 = lf_load64(tail), k2 = lf_load64(tail + 8);
        if (rest > 8)
            k2 *= c2, k2 = lf_rotl64(k2, 33), k2 *= c1, h2 ^= k2;
        k1 *= c1, k1 = lf_rotl64(k1, 31), k1 *= c2, h1 ^= k1;
    }
    h1 ^= (uint64_t)n, h2 ^= (uint64_t)n;
    h1 += h2, h2 += h1;
    h1 = lf_fmix64(h1), h2 = lf_fmix64(h2);
    h1 += h2, h2 += h1;
    out[0] = h1;
    out[1] = h2;
}

#endif
