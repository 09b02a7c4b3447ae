/*
 * fmt_float.h — libc's floating-point conversions for the fmt engine
 * (the kernel's engine is integer-only; __fmt_hook adds these). Shared by
 * fmt_hook.c (dispatch, %n, inf and nan), fmt_decimal.c (%e %f %g) and
 * fmt_hexfloat.c (%a).
 */
#ifndef LIBC_FMT_FLOAT_H
#define LIBC_FMT_FLOAT_H

#include <stdbool.h>
#include <stdint.h>
#include "fmt.h"

/* A finite value split as (-1)^negative * mant * 2^exp2, exactly. */
struct fp_parts {
    bool negative;
    uint64_t mant;
    int exp2;
};

/* Output through a small buffer, so digits go to the sink in blocks. */
struct fp_out {
    fmt_sink_fn sink;
    void *ctx;
    int total;
    int n;
    char buf[64];
};

void fp_out_char(struct fp_out *o, char c);
void fp_out_str(struct fp_out *o, const char *s);
void fp_out_pad(struct fp_out *o, char c, int n);
void fp_out_flush(struct fp_out *o);

/* Pads before the body as the flags ask: spaces for right-justified
 * output, or zeros after the prefix (sign, "0x") with the 0 flag. Call
 * fp_pad_before, emit the body, then fp_pad_after. */
struct fp_layout {
    int pad;            /* width - length, or 0 */
    bool zeros;         /* pad with zeros after the prefix */
    bool left;
};
struct fp_layout fp_layout(const struct fmt_spec *sp, int length, bool finite);
void fp_pad_before(struct fp_out *o, const struct fp_layout *l);
void fp_pad_after_prefix(struct fp_out *o, const struct fp_layout *l);
void fp_pad_after(struct fp_out *o, const struct fp_layout *l);

/* The sign character the flags and value ask for, or 0. */
char fp_sign_char(const struct fmt_spec *sp, bool negative);

/* %e %E %f %F %g %G of a finite value (fmt_decimal.c). */
void fp_format_decimal(struct fp_out *o, const struct fmt_spec *sp, char conv,
                       const struct fp_parts *v);

/* %a %A (fmt_hexfloat.c); is_long selects the long double digit layout. */
void fp_format_hex(struct fp_out *o, const struct fmt_spec *sp, char conv,
                   long double x, bool is_long);

#endif
