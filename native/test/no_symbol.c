/* A loadable library that lacks weighted_avg: ForeignKernel.load must refuse it by name. */
#include <stddef.h>

void weighted_average(const double *pairs, size_t n, double *out) {
    out[0] = n ? pairs[0] : 0.0;
    out[1] = 0.0;
}
