/*
 * A deliberately bad kernel for the no-allocation harness's own test: it exports the full kernel
 * interface, and three entry points touch the heap, through different allocation functions. The
 * harness must name exactly those three.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* stored so the compiler cannot prove the allocations unused and drop them */
void *volatile wavg_test_sink;

uint32_t wavg_abi_version(void) { return 1; }

size_t wavg_state_words(void) { return 276; }

void wavg_state_init(int64_t *state) { memset(state, 0, 276 * sizeof *state); }

void wavg_add_pairs(int64_t *state, const double *pairs, size_t n) {
    double *copy = malloc(2 * n * sizeof *copy);
    wavg_test_sink = copy;
    if (copy && n) {
        memcpy(copy, pairs, 2 * n * sizeof *copy);
        state[3] += (int64_t)n;
    }
    free(copy);
}

void wavg_add_columns(int64_t *state, const double *weights, const double *values,
                      const uint8_t *weight_nulls, const uint8_t *value_nulls, size_t n) {
    (void)weights;
    (void)values;
    (void)weight_nulls;
    (void)value_nulls;
    state[3] += (int64_t)n;
}

void wavg_add_le_columns(int64_t *state, const void *weights, const void *values, size_t n) {
    (void)weights;
    (void)values;
    state[3] += (int64_t)n;
}

void wavg_state_normalize(int64_t *state) { state[1] = 0; }

int wavg_result(const int64_t *state, double *out) {
    void *scratch = aligned_alloc(64, 64);
    wavg_test_sink = scratch;
    free(scratch);
    out[0] = (double)state[3];
    out[1] = 0.0;
    return 0;
}

void weighted_avg(const double *pairs, size_t n, double *out) {
    double *sums = calloc(2, sizeof *sums);
    wavg_test_sink = sums;
    if (sums) {
        for (size_t i = 0; i < n; i++) {
            sums[0] += pairs[2 * i];
            sums[1] += pairs[2 * i] * pairs[2 * i + 1];
        }
        out[0] = sums[0];
        out[1] = sums[1] / sums[0];
    }
    free(sums);
}
