/*
 * Proves a weighted_avg kernel library never touches the heap: this program replaces the malloc
 * family (forwarding to glibc's own __libc_* entry points), dlopen()s the library named on the
 * command line, and calls every exported entry point on a large input with counting switched on only
 * around the kernel calls. Exit 0: no heap call; 1: some call allocated or freed (named on stdout);
 * 2: usage or loading error.
 *
 * Build: gcc -std=c11 -O2 -rdynamic -o no_alloc no_alloc.c -ldl
 * (-rdynamic exports the replacements so the dlopen()ed library binds to them.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *ptr);

static volatile int counting;
static volatile long heap_calls;

static void note(void) {
    if (counting) {
        heap_calls++;
    }
}

void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note();
    return __libc_calloc(count, size);
}

void *realloc(void *ptr, size_t size) {
    note();
    return __libc_realloc(ptr, size);
}

void free(void *ptr) {
    if (ptr) { /* free(NULL) is a no-op, not heap use */
        note();
    }
    __libc_free(ptr);
}

void *memalign(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    note();
    void *p = __libc_memalign(alignment, size);
    if (!p) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

typedef void (*weighted_avg_fn)(const double *, size_t, double *);
typedef uint32_t (*abi_version_fn)(void);
typedef size_t (*state_words_fn)(void);
typedef void (*state_init_fn)(int64_t *);
typedef void (*add_pairs_fn)(int64_t *, const double *, size_t);
typedef void (*add_columns_fn)(int64_t *, const double *, const double *, const uint8_t *, const uint8_t *, size_t);
typedef void (*add_le_columns_fn)(int64_t *, const void *, const void *, size_t);
typedef void (*normalize_fn)(int64_t *);
typedef int (*result_fn)(const int64_t *, double *);

static void *handle;
static int failures;

static void *symbol(const char *name) {
    void *p = dlsym(handle, name);
    if (!p) {
        printf("missing symbol %s\n", name);
        exit(2);
    }
    return p;
}

/* Runs one kernel call with counting on and reports it. */
#define CHECK(name, call)                                                     \
    do {                                                                      \
        long before = heap_calls;                                             \
        counting = 1;                                                         \
        call;                                                                 \
        counting = 0;                                                         \
        long used = heap_calls - before;                                      \
        printf("%s: %ld heap calls\n", name, used);                           \
        if (used) failures++;                                                 \
    } while (0)

/* Deterministic data that visits every path: ordinary, huge, tiny, subnormal, zero, non-finite. */
static double datum(uint64_t *seed) {
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t r = *seed >> 11;
    double unit = (double)(r & ((1ULL << 40) - 1)) / (double)(1ULL << 40) - 0.5;
    switch (r >> 40 & 15) {
    case 0: return unit * 1e300;
    case 1: return unit * 1e-300;
    case 2: return unit * 4.9e-320; /* subnormal */
    case 3: return (r >> 44 & 255) == 0 ? 1.0 / 0.0 : 0.0;
    default: return unit * 1000.0;
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
        return 2;
    }
    /* the replacements must be live, or a clean run proves nothing */
    void *(*volatile alloc)(size_t) = malloc;
    counting = 1;
    free(alloc(16));
    counting = 0;
    if (heap_calls != 2) {
        printf("malloc replacement is not in effect (%ld calls seen)\n", heap_calls);
        return 2;
    }
    heap_calls = 0;

    handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        printf("cannot load %s: %s\n", argv[1], dlerror());
        return 2;
    }
    weighted_avg_fn weighted_avg = (weighted_avg_fn)symbol("weighted_avg");
    abi_version_fn abi_version = (abi_version_fn)symbol("wavg_abi_version");
    state_words_fn state_words = (state_words_fn)symbol("wavg_state_words");
    state_init_fn state_init = (state_init_fn)symbol("wavg_state_init");
    add_pairs_fn add_pairs = (add_pairs_fn)symbol("wavg_add_pairs");
    add_columns_fn add_columns = (add_columns_fn)symbol("wavg_add_columns");
    add_le_columns_fn add_le_columns = (add_le_columns_fn)symbol("wavg_add_le_columns");
    normalize_fn normalize = (normalize_fn)symbol("wavg_state_normalize");
    result_fn result = (result_fn)symbol("wavg_result");

    /* every buffer is allocated before counting starts */
    const size_t n = 1 << 20;
    size_t words = state_words();
    int64_t *state = __libc_calloc(words, sizeof *state);
    double *pairs = __libc_malloc(2 * n * sizeof *pairs);
    double *weights = __libc_malloc(n * sizeof *weights);
    double *values = __libc_malloc(n * sizeof *values);
    uint8_t *nulls = __libc_malloc(n);
    unsigned char *page = __libc_malloc(2 * n * sizeof(double) + 3); /* columns at odd offsets */
    if (!state || !pairs || !weights || !values || !nulls || !page) {
        printf("out of memory\n");
        return 2;
    }
    uint64_t seed = 42;
    for (size_t i = 0; i < n; i++) {
        pairs[2 * i] = weights[i] = datum(&seed);
        pairs[2 * i + 1] = values[i] = datum(&seed);
        nulls[i] = (uint8_t)(i % 7 == 0);
    }
    memcpy(page + 1, weights, n * sizeof(double));
    memcpy(page + 2 + n * sizeof(double), values, n * sizeof(double));
    double out[2];
    uint32_t version = 0;
    size_t words_again = 0;
    int undefined = 0;

    CHECK("wavg_abi_version", version = abi_version());
    CHECK("wavg_state_words", words_again = state_words());
    CHECK("wavg_state_init", state_init(state));
    CHECK("wavg_add_pairs", add_pairs(state, pairs, n));
    CHECK("wavg_add_columns", add_columns(state, weights, values, NULL, NULL, n));
    CHECK("wavg_add_columns (masks)", add_columns(state, weights, values, nulls, nulls + 1, n - 1));
    CHECK("wavg_add_le_columns", add_le_columns(state, page + 1, page + 2 + n * sizeof(double), n));
    CHECK("wavg_add_le_columns (aligned)", add_le_columns(state, weights, values, n));
    CHECK("wavg_result", undefined = result(state, out));
    CHECK("wavg_state_normalize", normalize(state));
    CHECK("weighted_avg", weighted_avg(pairs, n, out));

    printf("abi %u, %zu state words, result %d, last weighted_avg {%g, %g}\n", version, words_again, undefined,
           out[0], out[1]);
    printf("%s: %d of 11 calls used the heap over %zu pairs\n", failures ? "FAIL" : "OK", failures, n);
    return failures ? 1 : 0;
}
