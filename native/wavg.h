/*
 * Exact weighted-average kernel.
 *
 * Two entry families:
 *  - weighted_avg(): the C ABI existing user code already calls through ctypes.
 *  - wavg_*(): batch entry points for the JVM, working on a caller-owned state of
 *    wavg_state_words() signed 64-bit words. The kernel never allocates and keeps no globals.
 *
 * The state is opaque to callers except through these functions; its layout is versioned by
 * wavg_abi_version() so the accumulation method can change without touching the JVM side.
 */
#ifndef WAVG_H
#define WAVG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* pairs: n pairs interleaved as weight, value. out[0] = total weight, out[1] = weighted average,
 * both correctly rounded; out[1] is NaN when there are no pairs or the total weight is exactly 0. */
void weighted_avg(const double *pairs, size_t n, double *out);

uint32_t wavg_abi_version(void);
size_t wavg_state_words(void);
void wavg_state_init(int64_t *state);

/* Adds n interleaved (weight, value) pairs. */
void wavg_add_pairs(int64_t *state, const double *pairs, size_t n);

/* Adds n pairs from two columns. A null mask (one byte per row, non-zero = NULL, as Spark's column
 * vectors keep them) may be given for either column; a pair with a NULL side is skipped. */
void wavg_add_columns(int64_t *state, const double *weights, const double *values,
                      const uint8_t *weight_nulls, const uint8_t *value_nulls, size_t n);

/* Adds n pairs from two columns of little-endian IEEE doubles at any byte alignment, as a Parquet
 * PLAIN page holds them, so a decompressed page goes to the kernel where it lies; no NULLs. */
void wavg_add_le_columns(int64_t *state, const void *weights, const void *values, size_t n);

/* Propagates carries so that every digit but the top one lies in [0, 2^32). */
void wavg_state_normalize(int64_t *state);

/* out[0] = total weight, out[1] = weighted average, both correctly rounded.
 * Returns 1 when the average is undefined (no pairs, or total weight exactly 0), else 0. */
int wavg_result(const int64_t *state, double *out);

#ifdef __cplusplus
}
#endif

#endif
