/*
 * Exact accumulation of sum(w) and sum(w * v) as fixed-point integers.
 *
 * A finite double is m * 2^(e - 1075) with m < 2^53, so a product of two is a 106-bit integer times
 * a power of two: no rounding ever happens while accumulating, and the result is independent of the
 * order of the pairs. Each sum is kept as DIGITS signed 64-bit digits of 32 bits each, digit i
 * weighing 2^(32 i - BIAS_BITS); BIAS_BITS puts the lowest bit of the smallest product (2^-2148) in
 * digit 0 and leaves room above 2^2048 for 2^64 additions. Digits absorb up to 2^31 additions before
 * their carries must be propagated, so carries are deferred and propagated every CARRY_INTERVAL pairs.
 *
 * State words: [0] layout tag, [1] pairs since the last carry propagation, [2] non-finite flags,
 * [3] pairs accumulated, then DIGITS weight digits, then DIGITS product digits.
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
#define CARRY_INTERVAL (1LL << 30)

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

/* How many pairs may be added before carries must be propagated. */
static size_t room(int64_t *state, size_t wanted) {
    if (state[W_PENDING] >= CARRY_INTERVAL) {
        wavg_state_normalize(state);
    }
    size_t left = (size_t)(CARRY_INTERVAL - state[W_PENDING]);
    return wanted < left ? wanted : left;
}

uint32_t wavg_abi_version(void) { return ABI_VERSION; }

size_t wavg_state_words(void) { return STATE_WORDS; }

void wavg_state_init(int64_t *state) {
    memset(state, 0, STATE_WORDS * sizeof *state);
    state[0] = LAYOUT_TAG;
}

void wavg_add_pairs(int64_t *state, const double *pairs, size_t n) {
    while (n > 0) {
        size_t chunk = room(state, n);
        for (size_t i = 0; i < chunk; i++) {
            add_pair(state, pairs[2 * i], pairs[2 * i + 1]);
        }
        state[W_PENDING] += (int64_t)chunk;
        state[W_COUNT] += (int64_t)chunk;
        pairs += 2 * chunk;
        n -= chunk;
    }
}

void wavg_add_columns(int64_t *state, const double *weights, const double *values,
                      const uint8_t *weight_nulls, const uint8_t *value_nulls, size_t n) {
    while (n > 0) {
        size_t chunk = room(state, n), added = chunk;
        if (!weight_nulls && !value_nulls) {
            for (size_t i = 0; i < chunk; i++) {
                add_pair(state, weights[i], values[i]);
            }
        } else {
            for (size_t i = 0; i < chunk; i++) {
                if ((weight_nulls && weight_nulls[i]) || (value_nulls && value_nulls[i])) {
                    added--;
                } else {
                    add_pair(state, weights[i], values[i]);
                }
            }
            if (weight_nulls) weight_nulls += chunk;
            if (value_nulls) value_nulls += chunk;
        }
        state[W_PENDING] += (int64_t)chunk;
        state[W_COUNT] += (int64_t)added;
        weights += chunk;
        values += chunk;
        n -= chunk;
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
