/*
 * A bring-your-own kernel as a user might write it: plain double sums, in order. Its results are
 * only as good as double arithmetic, which is the point: the tests check that ForeignKernel merges
 * exactly what this library returns per batch, not what an exact kernel would.
 */
#include <math.h>
#include <stddef.h>

void weighted_avg(const double *pairs, size_t n, double *out) {
    double weight = 0.0, product = 0.0;
    for (size_t i = 0; i < n; i++) {
        weight += pairs[2 * i];
        product += pairs[2 * i] * pairs[2 * i + 1];
    }
    out[0] = weight;
    out[1] = weight != 0.0 ? product / weight : NAN;
}
