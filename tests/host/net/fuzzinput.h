/*
 * fuzzinput.h — the net fuzzers' reading of their input: the fuzzer's
 * bytes are a script, read a little-endian value at a time; past the end
 * every read is 0, so any input is a whole script. check() aborts, which
 * libFuzzer reports with the input that broke the invariant.
 */
#ifndef AERIE_TESTS_FUZZINPUT_H
#define AERIE_TESTS_FUZZINPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct input {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t in8(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t in16(struct input *in)
{
    return (uint16_t)(in8(in) | in8(in) << 8);
}

static inline uint32_t in32(struct input *in)
{
    return (uint32_t)in16(in) | (uint32_t)in16(in) << 16;
}

static inline void check(bool ok)
{
    if (!ok)
        abort();
}

#endif
