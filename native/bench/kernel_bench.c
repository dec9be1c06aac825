/*
 * ns per pair of the exact kernel against a naive double-sum kernel on the same random pairs, for
 * batch sizes from a few pairs, where the fixed cost of a call dominates, through a Spark batch,
 * which stays in cache, to one that streams from memory.
 * Build and run: make -C native bench [ARGS="PAIRS [BATCH]"]: PAIRS per measurement, BATCH one size only
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../wavg.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The reference point: what a plain loop costs; the compiler may not reorder the additions. */
static void naive(const double *w, const double *v, size_t n, double *out) {
    double sw = 0, swv = 0;
    for (size_t i = 0; i < n; i++) {
        sw += w[i];
        swv += w[i] * v[i];
    }
    out[0] = sw;
    out[1] = swv / sw;
}

static uint64_t rng = 88172645463325252ULL;
static double uniform(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv) {
    /* the batch sizes of the JMH benchmark (KernelBenchmark), so the two tables line up */
    size_t sizes[] = {16, 64, 256, 1024, 4096, 65536, 1 << 24};
    size_t count = sizeof sizes / sizeof sizes[0];
    if (argc > 2) {
        sizes[0] = (size_t)atol(argv[2]);
        count = 1;
    }
    int64_t *state = malloc(wavg_state_words() * sizeof *state);
    for (size_t s = 0; s < count; s++) {
        size_t n = sizes[s];
        double *w = malloc(n * sizeof *w), *v = malloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++) {
            w[i] = uniform() * 100;
            v[i] = (uniform() - 0.5) * 2000 + 50;
        }
        size_t reps = (argc > 1 ? (size_t)atol(argv[1]) : 200000000) / n + 1;
        double out[2], sink = 0;
        double t0 = now();
        for (size_t r = 0; r < reps; r++) {
            naive(w, v, n, out);
            sink += out[1];
        }
        double naive_ns = (now() - t0) / ((double)reps * n) * 1e9;
        t0 = now();
        for (size_t r = 0; r < reps; r++) {
            wavg_state_init(state);
            wavg_add_columns(state, w, v, NULL, NULL, n);
            wavg_state_normalize(state);
        }
        double exact_ns = (now() - t0) / ((double)reps * n) * 1e9;
        wavg_result(state, out);
        printf("batch %9zu pairs: naive %.3f ns/pair, exact %.3f ns/pair, exact/naive throughput %.2f (%g %g)\n",
               n, naive_ns, exact_ns, naive_ns / exact_ns, out[1], sink);
        free(w);
        free(v);
    }
    free(state);
    return 0;
}
