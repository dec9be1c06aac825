/*
 * Exact accumulation of sum(w) and sum(w * v) as fixed-point integers.
 *
 * A finite double is m * 2^(e - 1075) with m < 2^53, so a product of two is a 106-bit integer times
 * a power of two: no rounding ever happens while accumulating, and the result is independent of the
 * order of the pairs. Each sum is kept as DIGITS signed 64-bit digits of 32 bits each, digit i
 * weighing 2^(32 i - BIAS_BITS); BIAS_BITS puts the lowest bit of the smallest product (2^-2148) in
 * digit 0 and leaves room above 2^2048 for 2^64 additions. Digits absorb up to 2^31 additions before
 * their carries must be propagated, so carries are deferred until CARRY_LIMIT additions may have
 * reached one digit.
 *
 * Adding every pair to the digits costs a dozen dependent memory updates, so batches take a faster
 * exact route (add_block): products are split exactly into hi + lo with fma, and each of the streams
 * w, hi, lo is summed by extraction: with sigma = 1.5 * 2^s above the block's largest magnitude,
 * (sigma + x) - sigma is x cut to a multiple of 2^(s-52), without error, and sums of such parts stay
 * exact in a double. A few levels of that capture every bit of typical data; what is left, and any
 * pair outside the range where fma is exact, goes to the digits one by one.
 *
 * State words: [0] layout tag, [1] bound on additions into one digit since the last carry
 * propagation, [2] non-finite flags, [3] pairs accumulated, then DIGITS weight digits, then DIGITS
 * product digits.
 */
#include "wavg.h"

#include <math.h>
#include <string.h>

#define ABI_VERSION 1u
#define LAYOUT_TAG ((int64_t)0x5741564700000001LL) /* "WAVG" + ABI version */
#define DIGITS 136
#define BIAS_BITS 2176
#define HEADER_WORDS 4
#define STATE_WORDS (HEADER_WORDS + 2 * DIGITS)
#define CARRY_LIMIT (1LL << 30)

#define BLOCK_BITS 10
#define BLOCK (1 << BLOCK_BITS) /* pairs summed by extraction at a time */
#define FAST_EXPONENT_SPAN 450  /* |w|, |v| in [2^-450, 2^451): fma splits w * v exactly */

#define W_PENDING 1
#define W_FLAGS 2
#define W_COUNT 3

#define FLAG_WEIGHT_NAN 1
#define FLAG_WEIGHT_POS_INF 2
#define FLAG_WEIGHT_NEG_INF 4
#define FLAG_PRODUCT_NAN 8
#define FLAG_PRODUCT_POS_INF 16
#define FLAG_PRODUCT_NEG_INF 32

#define FRACTION_MASK ((1ULL << 52) - 1)
#define HIDDEN_BIT (1ULL << 52)
#define EXPONENT_MAX 0x7ff

__extension__ typedef unsigned __int128 u128;

static inline uint64_t bits_of(double x) {
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* Integer significand and biased exponent of the lowest bit, subnormals included. */
static inline uint64_t significand(uint64_t bits, unsigned *exponent) {
    unsigned e = (unsigned)(bits >> 52) & EXPONENT_MAX;
    uint64_t m = bits & FRACTION_MASK;
    if (e) {
        m |= HIDDEN_BIT;
    } else {
        e = 1;
    }
    *exponent = e;
    return m;
}

static inline void add_weight(int64_t *digits, uint64_t bits) {
    unsigned e;
    uint64_t m = significand(bits, &e);
    unsigned pos = e + (BIAS_BITS - 1075);
    unsigned idx = pos >> 5, shift = pos & 31;
    u128 q = (u128)m << shift; /* < 2^85 */
    int64_t sign = -(int64_t)(bits >> 63);
    int64_t d0 = (int64_t)(uint32_t)q, d1 = (int64_t)(uint32_t)(q >> 32), d2 = (int64_t)(q >> 64);
    digits[idx] += (d0 ^ sign) - sign;
    digits[idx + 1] += (d1 ^ sign) - sign;
    digits[idx + 2] += (d2 ^ sign) - sign;
}

static inline void add_product(int64_t *digits, uint64_t wbits, uint64_t vbits) {
    unsigned ew, ev;
    uint64_t mw = significand(wbits, &ew), mv = significand(vbits, &ev);
    unsigned pos = ew + ev + (BIAS_BITS - 2 * 1075);
    unsigned idx = pos >> 5, shift = pos & 31;
    u128 p = (u128)mw * mv; /* < 2^106 */
    u128 low = (u128)(uint64_t)p << shift;            /* < 2^95 */
    u128 high = (low >> 64) + ((p >> 64) << shift);   /* bits 64 and up, < 2^74 */
    int64_t sign = -(int64_t)((wbits ^ vbits) >> 63);
    int64_t d0 = (int64_t)(uint32_t)low, d1 = (int64_t)(uint32_t)(low >> 32);
    int64_t d2 = (int64_t)(uint32_t)high, d3 = (int64_t)(uint32_t)(high >> 32);
    int64_t d4 = (int64_t)(high >> 64);
    digits[idx] += (d0 ^ sign) - sign;
    digits[idx + 1] += (d1 ^ sign) - sign;
    digits[idx + 2] += (d2 ^ sign) - sign;
    digits[idx + 3] += (d3 ^ sign) - sign;
    digits[idx + 4] += (d4 ^ sign) - sign;
}

static inline int is_nonfinite(uint64_t bits) {
    return (((unsigned)(bits >> 52)) & EXPONENT_MAX) == EXPONENT_MAX;
}

/* IEEE rules for a pair with an infinity or NaN; a finite weight still goes to the digits. */
static void add_nonfinite(int64_t *state, double w, double v) {
    if (isnan(w)) {
        state[W_FLAGS] |= FLAG_WEIGHT_NAN;
    } else if (isinf(w)) {
        state[W_FLAGS] |= w > 0 ? FLAG_WEIGHT_POS_INF : FLAG_WEIGHT_NEG_INF;
    } else {
        add_weight(state + HEADER_WORDS, bits_of(w));
    }
    double product = w * v; /* never finite here: only its class matters */
    if (isnan(product)) {
        state[W_FLAGS] |= FLAG_PRODUCT_NAN;
    } else {
        state[W_FLAGS] |= product > 0 ? FLAG_PRODUCT_POS_INF : FLAG_PRODUCT_NEG_INF;
    }
}

static inline void add_pair(int64_t *state, double w, double v) {
    uint64_t wb = bits_of(w), vb = bits_of(v);
    if (is_nonfinite(wb) | is_nonfinite(vb)) {
        add_nonfinite(state, w, v);
        return;
    }
    int64_t *weights = state + HEADER_WORDS;
    add_weight(weights, wb);
    add_product(weights + DIGITS, wb, vb);
}

static void normalize_digits(int64_t *digits) {
    int64_t carry = 0;
    for (int i = 0; i < DIGITS - 1; i++) {
        int64_t d = digits[i] + carry;
        carry = d >> 32; /* arithmetic shift: floor division by 2^32 */
        digits[i] = d & 0xffffffffLL;
    }
    digits[DIGITS - 1] += carry;
}

void wavg_state_normalize(int64_t *state) {
    normalize_digits(state + HEADER_WORDS);
    normalize_digits(state + HEADER_WORDS + DIGITS);
    state[W_PENDING] = 0;
}

/* Makes room for `additions` more additions into any one digit. */
static void reserve(int64_t *state, int64_t additions) {
    if (state[W_PENDING] + additions > CARRY_LIMIT) {
        wavg_state_normalize(state);
    }
    state[W_PENDING] += additions;
}

uint32_t wavg_abi_version(void) { return ABI_VERSION; }

size_t wavg_state_words(void) { return STATE_WORDS; }

void wavg_state_init(int64_t *state) {
    memset(state, 0, STATE_WORDS * sizeof *state);
    state[0] = LAYOUT_TAG;
}

static inline double double_of(uint64_t bits) {
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static inline int in_fast_range(uint64_t bits) {
    unsigned e = (unsigned)(bits >> 52) & EXPONENT_MAX;
    return (bits << 1) == 0 || (e >= 1023 - FAST_EXPONENT_SPAN && e <= 1023 + FAST_EXPONENT_SPAN);
}

/* sigma = 1.5 * 2^s: (sigma + x) - sigma cuts x to a multiple of 2^(s-52) without error. */
static inline double sigma_of(int s) { return double_of((uint64_t)(s + 1023) << 52 | 1ULL << 51); }

/*
 * The extraction constants of one block: two levels for each of w, hi and lo, from bounds on the
 * magnitudes. |hi| <= fl(max|w| * max|v|) as rounding is monotonic, and |lo| <= ulp(hi) / 2. A level
 * with sigma = 1.5 * 2^s takes parts of x with |x| <= 2^(s-1-BLOCK_BITS), so up to 2^BLOCK_BITS parts
 * sum exactly, and leaves |x - part| <= 2^(s-53), which is what the next level takes.
 */
typedef struct {
    double w1, w2, hi1, hi2, lo1, lo2;
} sigmas;

static sigmas sigmas_for(double max_w, double max_hi) {
    int ew = max_w > 0.0 ? (int)(bits_of(max_w) >> 52) - 1023 : 0;
    int eh = max_hi > 0.0 ? (int)(bits_of(max_hi) >> 52) - 1023 : 0;
    int step = 52 - BLOCK_BITS;
    int sw = ew + 2 + BLOCK_BITS, sh = eh + 2 + BLOCK_BITS, sl = eh - 53 + 2 + BLOCK_BITS;
    sigmas s = {sigma_of(sw), sigma_of(sw - step), sigma_of(sh), sigma_of(sh - step), sigma_of(sl),
                sigma_of(sl - step)};
    return s;
}

static sigmas choose_sigmas(double max_w, double max_v) { return sigmas_for(max_w, max_w * max_v); }

/* Exact sums of the parts each level takes, per stream and level, in the order of sigmas. */
typedef struct {
    double w1, w2, hi1, hi2, lo1, lo2;
} level_sums;

static void add_level_sums(int64_t *digits, const level_sums *sums);

/*
 * Bounds on |w| and |w * v| for the next block of a call: the last block's largest with 4 bits of headroom
 * (any larger bound extracts just as exactly), so data of steady magnitude takes one pass per block.
 * w = 0 means no guess yet. pause: blocks to take the careful route before guessing again, after a
 * guess from a whole block failed (zeros in every block would otherwise cost a wasted pass each);
 * measured: the guess came from a whole block, not from the first pairs of a call.
 */
typedef struct {
    double w, hi;
    int pause, measured;
} guess;

#define PAUSE_AFTER_FAILURE 4

/* Two extraction levels of one value; returns what is left below them. */
static inline double two_levels(double x, double s1, double s2, double *sum1, double *sum2) {
    double part = (s1 + x) - s1;
    x -= part;
    *sum1 += part;
    part = (s2 + x) - s2;
    *sum2 += part;
    return x - part;
}

/* The scalar route through a block of in-range pairs; adds to the digits whatever the levels miss. */
static void levels_scalar(int64_t *digits, const double *w, const double *v, size_t n, const sigmas *sg,
                          level_sums *sums) {
    int64_t *weights = digits, *products = digits + DIGITS;
    for (size_t i = 0; i < n; i++) {
        double hi = w[i] * v[i], lo = fma(w[i], v[i], -hi);
        double rw = two_levels(w[i], sg->w1, sg->w2, &sums->w1, &sums->w2);
        double rh = two_levels(hi, sg->hi1, sg->hi2, &sums->hi1, &sums->hi2);
        double rl = two_levels(lo, sg->lo1, sg->lo2, &sums->lo1, &sums->lo2);
        if (rw != 0.0) add_weight(weights, bits_of(rw));
        if (rh != 0.0) add_weight(products, bits_of(rh));
        if (rl != 0.0) add_weight(products, bits_of(rl));
    }
}

/* The largest |w| and |v| of a block, or -1 when a value lies outside the fast range. */
static void bounds_scalar(const double *w, const double *v, size_t n, double *max_w, double *max_v) {
    double mw = 0.0, mv = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!in_fast_range(bits_of(w[i])) || !in_fast_range(bits_of(v[i]))) {
            *max_w = *max_v = -1.0;
            return;
        }
        mw = fabs(w[i]) > mw ? fabs(w[i]) : mw;
        mv = fabs(v[i]) > mv ? fabs(v[i]) : mv;
    }
    *max_w = mw;
    *max_v = mv;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(WAVG_PORTABLE)
#include <immintrin.h>
#define HAVE_AVX2_ROUTE 1

#define AVX2 __attribute__((target("avx2,fma")))

/*
 * One extraction level. The adder ports are the bottleneck, so the sum and the remainder are taken on
 * the FMA ports instead: fma(part, 1, sum) and fma(part, -1, x) round exactly as sum + part and x - part.
 */
AVX2 static inline __m256d level_avx2(__m256d x, __m256d sigma, __m256d *sum) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d part = _mm256_sub_pd(_mm256_add_pd(sigma, x), sigma);
    *sum = _mm256_fmadd_pd(part, one, *sum);
    return _mm256_fnmadd_pd(part, one, x);
}

AVX2 static inline __m256i outside_avx2(__m256d x) {
    __m256i bits = _mm256_castpd_si256(x);
    __m256i e = _mm256_and_si256(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(EXPONENT_MAX));
    __m256i low = _mm256_cmpgt_epi64(_mm256_set1_epi64x(1023 - FAST_EXPONENT_SPAN), e);
    __m256i high = _mm256_cmpgt_epi64(e, _mm256_set1_epi64x(1023 + FAST_EXPONENT_SPAN));
    __m256i zero = _mm256_cmpeq_epi64(_mm256_slli_epi64(bits, 1), _mm256_setzero_si256());
    return _mm256_or_si256(_mm256_andnot_si256(zero, low), high);
}

AVX2 static void bounds_avx2(const double *w, const double *v, size_t n, double *max_w, double *max_v) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x((long long)(~0ULL >> 1)));
    __m256d mw = _mm256_setzero_pd(), mv = _mm256_setzero_pd();
    __m256i outside = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_loadu_pd(w + i), b = _mm256_loadu_pd(v + i);
        outside = _mm256_or_si256(outside, _mm256_or_si256(outside_avx2(a), outside_avx2(b)));
        mw = _mm256_max_pd(mw, _mm256_and_pd(a, magnitude));
        mv = _mm256_max_pd(mv, _mm256_and_pd(b, magnitude));
    }
    double lanes_w[4], lanes_v[4];
    _mm256_storeu_pd(lanes_w, mw);
    _mm256_storeu_pd(lanes_v, mv);
    double tail_w, tail_v;
    bounds_scalar(w + i, v + i, n - i, &tail_w, &tail_v);
    if (!_mm256_testz_si256(outside, outside) || tail_w < 0.0) {
        *max_w = *max_v = -1.0;
        return;
    }
    for (int j = 0; j < 4; j++) {
        tail_w = lanes_w[j] > tail_w ? lanes_w[j] : tail_w;
        tail_v = lanes_v[j] > tail_v ? lanes_v[j] : tail_v;
    }
    *max_w = tail_w;
    *max_v = tail_v;
}

AVX2 static inline double lanes_total(__m256d sum) {
    double lanes[4];
    memcpy(lanes, &sum, sizeof lanes);
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]); /* exact: every sum of parts is */
}

/* Four pairs at a time, both levels in registers, no stores; the scalar route takes the tail. */
AVX2 static void levels_avx2(int64_t *digits, const double *w, const double *v, size_t n, const sigmas *sg,
                             level_sums *sums) {
    __m256d sw1 = _mm256_set1_pd(sg->w1), sw2 = _mm256_set1_pd(sg->w2);
    __m256d sh1 = _mm256_set1_pd(sg->hi1), sh2 = _mm256_set1_pd(sg->hi2);
    __m256d sl1 = _mm256_set1_pd(sg->lo1), sl2 = _mm256_set1_pd(sg->lo2);
    __m256d w1 = _mm256_setzero_pd(), w2 = w1, h1 = w1, h2 = w1, l1 = w1, l2 = w1;
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x((long long)(~0ULL >> 1)));
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_loadu_pd(w + i), b = _mm256_loadu_pd(v + i);
        __m256d hi = _mm256_mul_pd(a, b);
        __m256d lo = _mm256_fmsub_pd(a, b, hi);
        __m256d rw = level_avx2(level_avx2(a, sw1, &w1), sw2, &w2);
        __m256d rh = level_avx2(level_avx2(hi, sh1, &h1), sh2, &h2);
        __m256d rl = level_avx2(level_avx2(lo, sl1, &l1), sl2, &l2);
        __m256i left = _mm256_castpd_si256(_mm256_and_pd(_mm256_or_pd(rw, _mm256_or_pd(rh, rl)), magnitude));
        if (!_mm256_testz_si256(left, left)) {
            /* rare: bits below both levels; the parts taken are exact, so add exactly what is left */
            double rest[3][4];
            _mm256_storeu_pd(rest[0], rw);
            _mm256_storeu_pd(rest[1], rh);
            _mm256_storeu_pd(rest[2], rl);
            for (int j = 0; j < 4; j++) {
                if (rest[0][j] != 0.0) add_weight(digits, bits_of(rest[0][j]));
                if (rest[1][j] != 0.0) add_weight(digits + DIGITS, bits_of(rest[1][j]));
                if (rest[2][j] != 0.0) add_weight(digits + DIGITS, bits_of(rest[2][j]));
            }
        }
    }
    sums->w1 += lanes_total(w1);
    sums->w2 += lanes_total(w2);
    sums->hi1 += lanes_total(h1);
    sums->hi2 += lanes_total(h2);
    sums->lo1 += lanes_total(l1);
    sums->lo2 += lanes_total(l2);
    levels_scalar(digits, w + i, v + i, n - i, sg, sums);
}

/*
 * One pass instead of two: extracts a block with sigmas chosen from guessed bounds while measuring the
 * true ones, and keeps the result only if the guess held: every |w| <= g->w and |w * v| <= g->hi,
 * every |w * v| >= 2^-900 (so fma splits it exactly), nothing NaN or infinite (either leaves a NaN in
 * the level sums). Two differences from the careful route make it short:
 * - each lane's level-1 sum starts at its sigma, so one addition both cuts x to the level's quantum and
 *   sums the part (ReproBLAS's indexed sum): the part is what the sum moved by, exactly, as the sum stays
 *   in its binade while the bounds hold;
 * - nothing may fall below level 2: a |w| of at least level 2's sigma / 1.5 (a power of two, 2^t) has no
 *   bit below level 2's quantum 2^(t-52), and neither do hi and lo where the same holds for |hi| (lo's
 *   lowest bit is at least 2^(e-105), e the exponent of hi, and lo's level 2 sits 53 bits below hi's).
 *   Level 2 is then an addition that cannot round. A block with a smaller magnitude, a zero included,
 *   takes the careful route.
 * The digits are untouched unless it returns 1; *max_w and *max_hi get the block's largest |w| and
 * |w * v|. The doubles are read from any alignment, in host byte order.
 */
AVX2 static int speculate_avx2(int64_t *digits, const unsigned char *w, const unsigned char *v, size_t n,
                               const guess *g, double *max_w, double *max_hi) {
    sigmas sg = sigmas_for(g->w, g->hi);
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d sw1 = _mm256_set1_pd(sg.w1), sw2 = _mm256_set1_pd(sg.w2);
    const __m256d sh1 = _mm256_set1_pd(sg.hi1), sh2 = _mm256_set1_pd(sg.hi2);
    const __m256d sl1 = _mm256_set1_pd(sg.lo1), sl2 = _mm256_set1_pd(sg.lo2);
    __m256d w1 = sw1, w2 = sw2, h1 = sh1, h2 = sh2, l1 = sl1, l2 = sl2;
    __m256d mw = _mm256_setzero_pd(), mh = mw, least_w = _mm256_set1_pd(INFINITY), least_h = least_w;
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x((long long)(~0ULL >> 1)));
    size_t whole = n - n % 4;
    for (size_t i = 0; i < whole; i += 4) {
        __m256d a, b;
        memcpy(&a, w + 8 * i, sizeof a);
        memcpy(&b, v + 8 * i, sizeof b);
        __m256d hi = _mm256_mul_pd(a, b);
        __m256d lo = _mm256_fmsub_pd(a, b, hi);
        __m256d size_w = _mm256_and_pd(a, magnitude), size_h = _mm256_and_pd(hi, magnitude);
        mw = _mm256_max_pd(mw, size_w);
        least_w = _mm256_min_pd(least_w, size_w);
        mh = _mm256_max_pd(mh, size_h);
        least_h = _mm256_min_pd(least_h, size_h);
        /* the adder ports are the bottleneck: the remainder and level 2 go to the FMA ports (x * 1 + y
           rounds as x + y) */
        __m256d sum = _mm256_add_pd(w1, a);
        w2 = _mm256_fmadd_pd(_mm256_fnmadd_pd(_mm256_sub_pd(sum, w1), one, a), one, w2);
        w1 = sum;
        sum = _mm256_add_pd(h1, hi);
        h2 = _mm256_fmadd_pd(_mm256_fnmadd_pd(_mm256_sub_pd(sum, h1), one, hi), one, h2);
        h1 = sum;
        sum = _mm256_add_pd(l1, lo);
        l2 = _mm256_fmadd_pd(_mm256_fnmadd_pd(_mm256_sub_pd(sum, l1), one, lo), one, l2);
        l1 = sum;
    }
    double lanes_w[4], lanes_h[4], lanes_least_w[4], lanes_least_h[4];
    _mm256_storeu_pd(lanes_w, mw);
    _mm256_storeu_pd(lanes_h, mh);
    _mm256_storeu_pd(lanes_least_w, least_w);
    _mm256_storeu_pd(lanes_least_h, least_h);
    double smallest_w = INFINITY, smallest_h = INFINITY;
    *max_w = *max_hi = 0.0;
    for (int j = 0; j < 4; j++) {
        *max_w = lanes_w[j] > *max_w ? lanes_w[j] : *max_w;
        *max_hi = lanes_h[j] > *max_hi ? lanes_h[j] : *max_hi;
        smallest_w = lanes_least_w[j] < smallest_w ? lanes_least_w[j] : smallest_w;
        smallest_h = lanes_least_h[j] < smallest_h ? lanes_least_h[j] : smallest_h;
    }
    /* each lane minus its sigma is exact (same binade), and so is any sum of parts */
    level_sums sums = {lanes_total(_mm256_sub_pd(w1, sw1)), lanes_total(_mm256_sub_pd(w2, sw2)),
                       lanes_total(_mm256_sub_pd(h1, sh1)), lanes_total(_mm256_sub_pd(h2, sh2)),
                       lanes_total(_mm256_sub_pd(l1, sl1)), lanes_total(_mm256_sub_pd(l2, sl2))};
    /* the last n % 4 pairs one by one; under the same checks nothing falls below level 2 */
    for (size_t i = whole; i < n; i++) {
        double a, b;
        memcpy(&a, w + 8 * i, sizeof a);
        memcpy(&b, v + 8 * i, sizeof b);
        double hi = a * b, lo = fma(a, b, -hi);
        *max_w = fabs(a) > *max_w ? fabs(a) : *max_w;
        *max_hi = fabs(hi) > *max_hi ? fabs(hi) : *max_hi;
        smallest_w = fabs(a) < smallest_w ? fabs(a) : smallest_w;
        smallest_h = fabs(hi) < smallest_h ? fabs(hi) : smallest_h;
        two_levels(a, sg.w1, sg.w2, &sums.w1, &sums.w2);
        two_levels(hi, sg.hi1, sg.hi2, &sums.hi1, &sums.hi2);
        two_levels(lo, sg.lo1, sg.lo2, &sums.lo1, &sums.lo2);
    }
    /* a NaN or infinity anywhere leaves a NaN in the level sums (x - x, or NaN itself) */
    int finite = isfinite(sums.w1 + sums.w2 + sums.hi1 + sums.hi2 + sums.lo1 + sums.lo2);
    if (!finite || !(*max_w <= g->w) || !(*max_hi <= g->hi) || !(smallest_h >= 0x1.0p-900)
        || !(smallest_w >= sg.w2 / 1.5) || !(smallest_h >= sg.hi2 / 1.5)) {
        return 0;
    }
    add_level_sums(digits, &sums);
    return 1;
}
#endif

/* The level sums of a block go to the digits: each is an exact sum of parts. */
static void add_level_sums(int64_t *digits, const level_sums *sums) {
    double weight_sums[2] = {sums->w1, sums->w2};
    double product_sums[4] = {sums->hi1, sums->hi2, sums->lo1, sums->lo2};
    for (int k = 0; k < 2; k++) {
        if (weight_sums[k] != 0.0) add_weight(digits, bits_of(weight_sums[k]));
    }
    for (int k = 0; k < 4; k++) {
        if (product_sums[k] != 0.0) add_weight(digits + DIGITS, bits_of(product_sums[k]));
    }
}


#define GUESS_HEADROOM 16.0
#define GUESS_LIMIT_W 0x1.0p450
#define GUESS_LIMIT_HI 0x1.0p900

static void remember(guess *g, double max_w, double max_hi) {
    /* bounds inside the fast range keep every sigma a normal number */
    int usable = max_w >= 0x1.0p-450 && max_hi >= 0x1.0p-900 && max_w * GUESS_HEADROOM <= GUESS_LIMIT_W
                 && max_hi * GUESS_HEADROOM <= GUESS_LIMIT_HI;
    g->w = usable ? max_w * GUESS_HEADROOM : 0.0;
    g->hi = usable ? max_hi * GUESS_HEADROOM : 0.0;
    g->measured = 1;
}

#ifdef HAVE_AVX2_ROUTE
/*
 * Adds a block in one speculative pass if the guess allows and holds, and keeps the guess up to date;
 * 0 if the block is still to be added. Doubles at any alignment, in host byte order.
 */
static int add_speculated_block(int64_t *state, const unsigned char *w, const unsigned char *v, size_t n,
                                guess *g) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        return 0;
    }
    if (g->pause > 0) {
        g->pause--;
        return 0;
    }
    if (g->w == 0.0 && n >= 4) {
        /* the first block of a call guesses from its first four pairs */
        double first_w = 0.0, first_hi = 0.0;
        for (size_t j = 0; j < 4; j++) {
            double a, b;
            memcpy(&a, w + 8 * j, sizeof a);
            memcpy(&b, v + 8 * j, sizeof b);
            first_w = fabs(a) > first_w ? fabs(a) : first_w;
            first_hi = fabs(a * b) > first_hi ? fabs(a * b) : first_hi;
        }
        remember(g, first_w, first_hi);
        g->measured = 0;
    }
    double max_w, max_hi;
    if (g->w > 0.0 && speculate_avx2(state + HEADER_WORDS, w, v, n, g, &max_w, &max_hi)) {
        remember(g, max_w, max_hi);
        return 1;
    }
    if (g->w > 0.0 && g->measured) {
        g->pause = PAUSE_AFTER_FAILURE;
    }
    return 0;
}
#endif

/*
 * Adds up to BLOCK pairs, all finite and inside the fast range, exactly; false if they are not.
 * speculate: whether a speculative pass may be tried first (not if one just failed on these pairs).
 */
static int add_fast_block(int64_t *state, const double *w, const double *v, size_t n, guess *g, int speculate) {
    double max_w, max_v;
    level_sums sums = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    int64_t *digits = state + HEADER_WORDS;
    (void)speculate; /* only the AVX2 route speculates */
#ifdef HAVE_AVX2_ROUTE
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (g && speculate && add_speculated_block(state, (const unsigned char *)w, (const unsigned char *)v, n, g)) {
        return 1;
    }
    if (avx2) {
        bounds_avx2(w, v, n, &max_w, &max_v);
    } else
#endif
        bounds_scalar(w, v, n, &max_w, &max_v);
    if (g) {
        /* after a block outside the fast range (max -1) the next ones take this route too, then guess afresh */
        remember(g, max_w, max_w * max_v);
        g->pause = max_w < 0.0 ? PAUSE_AFTER_FAILURE : g->pause;
    }
    if (max_w < 0.0) {
        return 0;
    }
    sigmas sg = choose_sigmas(max_w, max_v);
#ifdef HAVE_AVX2_ROUTE
    if (avx2) {
        levels_avx2(digits, w, v, n, &sg, &sums);
    } else
#endif
        levels_scalar(digits, w, v, n, &sg, &sums);
    add_level_sums(digits, &sums);
    return 1;
}

/*
 * Adds up to BLOCK pairs read with the given stride; a NULL mask byte skips the pair. Pairs outside
 * the fast range (huge, tiny, non-finite) go to the digits one by one and the rest take the fast route.
 */
static void add_block(int64_t *state, const double *w, const double *v, size_t stride,
                      const uint8_t *w_nulls, const uint8_t *v_nulls, size_t n, guess *g, int speculate) {
    /* per digit: a slow pair or residual of w, residuals of hi and lo, and the level sums */
    reserve(state, 2 * (int64_t)n + 6);
    if (stride == 1 && !w_nulls && !v_nulls && add_fast_block(state, w, v, n, g, speculate)) {
        state[W_COUNT] += (int64_t)n;
        return;
    }
    double ws[BLOCK], vs[BLOCK];
    int64_t counted = 0;
    for (size_t i = 0; i < n; i++) {
        ws[i] = 0.0;
        vs[i] = 0.0;
        if ((w_nulls && w_nulls[i]) || (v_nulls && v_nulls[i])) {
            continue;
        }
        counted++;
        double x = w[i * stride], y = v[i * stride];
        if (in_fast_range(bits_of(x)) && in_fast_range(bits_of(y))) {
            ws[i] = x;
            vs[i] = y;
        } else {
            add_pair(state, x, y);
        }
    }
    add_fast_block(state, ws, vs, n, NULL, 0);
    state[W_COUNT] += counted;
}

void wavg_add_pairs(int64_t *state, const double *pairs, size_t n) {
    for (size_t done = 0; done < n; done += BLOCK) {
        size_t chunk = n - done < BLOCK ? n - done : BLOCK;
        add_block(state, pairs + 2 * done, pairs + 2 * done + 1, 2, NULL, NULL, chunk, NULL, 0);
    }
}

void wavg_add_columns(int64_t *state, const double *weights, const double *values,
                      const uint8_t *weight_nulls, const uint8_t *value_nulls, size_t n) {
    guess g = {0.0, 0.0, 0, 0};
    for (size_t done = 0; done < n; done += BLOCK) {
        size_t chunk = n - done < BLOCK ? n - done : BLOCK;
        add_block(state, weights + done, values + done, 1, weight_nulls ? weight_nulls + done : NULL,
                  value_nulls ? value_nulls + done : NULL, chunk, &g, 1);
    }
}

/* Copies n little-endian doubles from any alignment into an aligned block, in host byte order. */
static const double *host_doubles(double *block, const unsigned char *bytes, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = 0;
        for (int b = 7; b >= 0; b--) bits = bits << 8 | bytes[8 * i + (size_t)b];
        memcpy(block + i, &bits, sizeof bits);
    }
#else
    memcpy(block, bytes, n * sizeof(double));
#endif
    return block;
}

void wavg_add_le_columns(int64_t *state, const void *weights, const void *values, size_t n) {
    const unsigned char *w = weights, *v = values;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    int w_in_place = 0, v_in_place = 0;
#else
    /* a double that straddles its natural alignment is read through a copy, never in place */
    int w_in_place = (uintptr_t)w % _Alignof(double) == 0, v_in_place = (uintptr_t)v % _Alignof(double) == 0;
#endif
    double w_block[BLOCK], v_block[BLOCK];
    guess g = {0.0, 0.0, 0, 0};
    for (size_t done = 0; done < n; done += BLOCK) {
        size_t chunk = n - done < BLOCK ? n - done : BLOCK;
        int speculate = 1;
#if defined(HAVE_AVX2_ROUTE)
        /* x86 is little-endian: the speculative pass reads the bytes where they lie, at any alignment;
           all it adds to the digits are the six level sums */
        reserve(state, 6);
        if (add_speculated_block(state, w + 8 * done, v + 8 * done, chunk, &g)) {
            state[W_COUNT] += (int64_t)chunk;
            continue;
        }
        speculate = 0;
#endif
        const double *wd = w_in_place ? (const double *)(const void *)(w + 8 * done)
                                      : host_doubles(w_block, w + 8 * done, chunk);
        const double *vd = v_in_place ? (const double *)(const void *)(v + 8 * done)
                                      : host_doubles(v_block, v + 8 * done, chunk);
        add_block(state, wd, vd, 1, NULL, NULL, chunk, &g, speculate);
    }
}

/* ---- correctly rounded results ---------------------------------------------------------------- */

#define BIG 144 /* digits of a working magnitude: DIGITS plus room for a 57-bit quotient shift */

typedef struct {
    uint32_t d[BIG];
} big;

/* Magnitude of a normalized digit vector; returns -1, 0 or 1 for its sign. */
static int magnitude(const int64_t *digits, big *out) {
    memset(out, 0, sizeof *out);
    int negative = digits[DIGITS - 1] < 0;
    uint64_t carry = 1;
    int nonzero = 0;
    for (int i = 0; i < DIGITS; i++) {
        uint64_t d = (uint64_t)digits[i] & 0xffffffffULL;
        if (i == DIGITS - 1) {
            d = (uint64_t)digits[i]; /* the top digit carries the sign and any excess */
        }
        if (negative) {
            d = (~d & 0xffffffffULL) + carry;
            carry = d >> 32;
        }
        out->d[i] = (uint32_t)d;
        nonzero |= out->d[i] != 0;
        if (i == DIGITS - 1 && !negative) {
            out->d[i + 1] = (uint32_t)(d >> 32);
            nonzero |= out->d[i + 1] != 0;
        }
    }
    return nonzero ? (negative ? -1 : 1) : 0;
}

static int bit_length(const big *x) {
    for (int i = BIG - 1; i >= 0; i--) {
        if (x->d[i]) {
            return 32 * i + 32 - __builtin_clz(x->d[i]);
        }
    }
    return 0;
}

static void shift_left(big *x, int bits) {
    int words = bits >> 5, rest = bits & 31;
    for (int i = BIG - 1; i >= 0; i--) {
        uint64_t hi = i - words >= 0 ? x->d[i - words] : 0;
        uint64_t lo = i - words - 1 >= 0 ? x->d[i - words - 1] : 0;
        x->d[i] = (uint32_t)(((hi << 32 | lo) << rest) >> 32);
    }
}

static int compare(const big *a, const big *b) {
    for (int i = BIG - 1; i >= 0; i--) {
        if (a->d[i] != b->d[i]) {
            return a->d[i] < b->d[i] ? -1 : 1;
        }
    }
    return 0;
}

static void subtract(big *a, const big *b) {
    int64_t borrow = 0;
    for (int i = 0; i < BIG; i++) {
        int64_t d = (int64_t)a->d[i] - b->d[i] - borrow;
        borrow = d < 0;
        a->d[i] = (uint32_t)d;
    }
}

static int is_zero(const big *x) { return bit_length(x) == 0; }

/* Rounds q * 2^exponent to the nearest double, ties to even; sticky says the exact value is a
 * little above q * 2^exponent. q must be non-zero and below 2^63. */
static double round_scaled(uint64_t q, int exponent, int sticky) {
    int length = 64 - __builtin_clzll(q);
    int drop = length - 53;
    if (exponent + drop < -1074) {
        drop = -1074 - exponent; /* subnormal: the lowest kept bit is 2^-1074 */
    }
    if (drop <= 0) {
        return ldexp((double)q, exponent);
    }
    if (drop > 64) {
        return 0.0; /* below half of the smallest subnormal */
    }
    uint64_t kept = drop == 64 ? 0 : q >> drop;
    uint64_t rest = drop == 64 ? q : q & ((1ULL << drop) - 1);
    uint64_t half = 1ULL << (drop - 1);
    if (rest > half || (rest == half && (sticky || (kept & 1)))) {
        kept++;
    }
    return ldexp((double)kept, exponent + drop);
}

/* Correctly rounded num / den * 2^scale for positive magnitudes; den is consumed. */
static double round_quotient(big *num, big *den, int scale) {
    int shift = 56 - bit_length(num) + bit_length(den); /* puts the quotient in [2^55, 2^57) */
    if (shift >= 0) {
        shift_left(num, shift);
    } else {
        shift_left(den, -shift);
    }
    uint64_t q = 0;
    big step;
    for (int j = 56; j >= 0; j--) {
        step = *den;
        shift_left(&step, j);
        if (compare(num, &step) >= 0) {
            subtract(num, &step);
            q |= 1ULL << j;
        }
    }
    return round_scaled(q, scale - shift, !is_zero(num));
}

static double round_sum(const int64_t *digits, int *sign_out) {
    big mag, one;
    int sign = magnitude(digits, &mag);
    *sign_out = sign;
    if (sign == 0) {
        return 0.0;
    }
    memset(&one, 0, sizeof one);
    one.d[0] = 1;
    return sign * round_quotient(&mag, &one, -BIAS_BITS);
}

/* The sum of the infinities seen: 0 for none, NaN when both signs were seen. */
static double infinities(int64_t flags, int64_t nan, int64_t pos, int64_t neg) {
    if ((flags & nan) || ((flags & pos) && (flags & neg))) return NAN;
    if (flags & pos) return INFINITY;
    if (flags & neg) return -INFINITY;
    return 0.0;
}

int wavg_result(const int64_t *state, double *out) {
    int64_t copy[STATE_WORDS];
    memcpy(copy, state, sizeof copy);
    wavg_state_normalize(copy);
    const int64_t *weights = copy + HEADER_WORDS, *products = weights + DIGITS;
    int64_t flags = copy[W_FLAGS];
    double weight_special = infinities(flags, FLAG_WEIGHT_NAN, FLAG_WEIGHT_POS_INF, FLAG_WEIGHT_NEG_INF);
    double product_special = infinities(flags, FLAG_PRODUCT_NAN, FLAG_PRODUCT_POS_INF, FLAG_PRODUCT_NEG_INF);

    int weight_sign;
    double total = round_sum(weights, &weight_sign);
    out[0] = weight_special != 0.0 ? weight_special : total; /* NaN != 0.0 holds too */
    out[1] = NAN;
    if (copy[W_COUNT] == 0) {
        return 1;
    }
    if (weight_special != 0.0 || isnan(product_special)) {
        return 0; /* NaN input, or an infinite weight: its product is infinite too, inf / inf */
    }
    if (weight_sign == 0) {
        return 1;
    }
    if (product_special != 0.0) {
        out[1] = weight_sign > 0 ? product_special : -product_special;
        return 0;
    }
    big num, den;
    int num_sign = magnitude(products, &num);
    magnitude(weights, &den);
    out[1] = num_sign == 0 ? 0.0 : num_sign * weight_sign * round_quotient(&num, &den, 0);
    return 0;
}

void weighted_avg(const double *pairs, size_t n, double *out) {
    int64_t state[STATE_WORDS];
    wavg_state_init(state);
    wavg_add_pairs(state, pairs, n);
    wavg_result(state, out);
}
