/*
 * qsort.c — C11 7.22.5.2, as introsort: quicksort with a median-of-three
 * (or ninther) pivot and a partition that stops on equal keys (so many duplicates stay
 * O(n log n)), insertion sort for short runs, and heapsort once the
 * recursion gets deeper than 2 log2 n (so no input is quadratic). Not
 * stable, which the standard allows. Recursion only into the smaller
 * part bounds the stack at log2 n frames.
 */
#include <stdint.h>
#include <stdlib.h>
#include "word.h"

typedef int (*cmp_fn)(const void *, const void *);

#define INSERTION_MAX 12

static void swap_elems(char *a, char *b, size_t size)
{
    if (a == b)
        return;
    for (; size >= 8; size -= 8, a += 8, b += 8) {
        uint64_t t = load_word(a);
        store_word(a, load_word(b));
        store_word(b, t);
    }
    for (; size; size--, a++, b++) {
        char t = *a;
        *a = *b;
        *b = t;
    }
}

static void insertion_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t i = 1; i < n; i++)
        for (char *p = base + i * size; p > base && cmp(p - size, p) > 0; p -= size)
            swap_elems(p - size, p, size);
}

/* Restores the max-heap property below node i of the heap base[0, n). */
static void sift_down(char *base, size_t i, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t child; (child = 2 * i + 1) < n; i = child) {
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + i * size, base + child * size) >= 0)
            return;
        swap_elems(base + i * size, base + child * size, size);
    }
}

static void heap_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(base, i, n, size, cmp);
    for (size_t end = n - 1; end > 0; end--) {
        swap_elems(base, base + end * size, size);
        sift_down(base, 0, end, size, cmp);
    }
}

static char *median_of_3(char *a, char *b, char *c, cmp_fn cmp)
{
    if (cmp(a, b) < 0)
        return cmp(b, c) < 0 ? b : cmp(a, c) < 0 ? c : a;
    return cmp(b, c) > 0 ? b : cmp(a, c) > 0 ? c : a;
}

/* Moves a pivot to the front: the median of first, middle and last, or
 * for large arrays Tukey's ninther (the median of three such medians),
 * which also keeps organ-pipe and sawtooth inputs balanced. */
static void pivot_to_front(char *base, size_t n, size_t size, cmp_fn cmp)
{
    char *lo = base, *mid = base + (n / 2) * size, *hi = base + (n - 1) * size;
    if (n > 128) {
        size_t step = (n / 8) * size;
        lo = median_of_3(lo, lo + step, lo + 2 * step, cmp);
        mid = median_of_3(mid - step, mid, mid + step, cmp);
        hi = median_of_3(hi - 2 * step, hi - step, hi, cmp);
    }
    swap_elems(base, median_of_3(lo, mid, hi, cmp), size);
}

/* Partitions around the pivot at base[0]; returns its final index j, with
 * everything before j <= pivot and everything after >= pivot. */
static size_t partition(char *base, size_t n, size_t size, cmp_fn cmp)
{
    size_t i = 0, j = n;
    for (;;) {
        do i++; while (i < n && cmp(base + i * size, base) < 0);
        do j--; while (j > 0 && cmp(base + j * size, base) > 0);
        if (i >= j)
            break;
        swap_elems(base + i * size, base + j * size, size);
    }
    swap_elems(base, base + j * size, size);
    return j;
}

static void intro_sort(char *base, size_t n, size_t size, cmp_fn cmp, int depth)
{
    while (n > INSERTION_MAX) {
        if (depth-- == 0) {
            heap_sort(base, n, size, cmp);
            return;
        }
        pivot_to_front(base, n, size, cmp);
        size_t j = partition(base, n, size, cmp);
        size_t left = j, right = n - j - 1;
        if (left < right) {
            intro_sort(base, left, size, cmp, depth);
            base += (j + 1) * size;
            n = right;
        } else {
            intro_sort(base + (j + 1) * size, right, size, cmp, depth);
            n = left;
        }
    }
    insertion_sort(base, n, size, cmp);
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n < 2 || size == 0)
        return;
    int depth = 0;
    for (size_t m = n; m; m >>= 1)
        depth += 2;
    intro_sort(base, n, size, cmp, depth);
}
