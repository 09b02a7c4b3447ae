/*
 * libc_start.c — what runs between _start and main: record the
 * environment and auxv, pick the stack-protector canary, give the main
 * thread its TLS, let libaerie set up the capability environment, run
 * constructors, then exit(main(argc, argv, envp)).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libc.h"
#include "sys.h"

struct libc_state __libc __attribute__((section(".bss.hot.0")));   /* user.ld */

int main(int argc, char **argv, char **envp);

/* libaerie's start-up hook (weak: a program without libaerie has none). */
void __libaerie_init(uint64_t *auxv) __attribute__((weak));

typedef void (*init_fn)(int, char **, char **);
extern init_fn __preinit_array_start[] __attribute__((weak, visibility("hidden")));
extern init_fn __preinit_array_end[] __attribute__((weak, visibility("hidden")));
extern init_fn __init_array_start[] __attribute__((weak, visibility("hidden")));
extern init_fn __init_array_end[] __attribute__((weak, visibility("hidden")));

uint64_t __auxv_get(const uint64_t *auxv, uint64_t type)
{
    for (; auxv && auxv[0] != AT_NULL; auxv += 2)
        if (auxv[0] == type)
            return auxv[1];
    return 0;
}

/* A canary from the 16 random bytes the loader passes (AT_RANDOM), with
 * the low byte zero so string functions cannot read or write past it;
 * lacking them, the clock and an address are a weak stand-in. */
static uintptr_t make_canary(const uint64_t *auxv)
{
    uintptr_t c;
    const void *random = (const void *)(uintptr_t)__auxv_get(auxv, AT_RANDOM);
    if (random)
        memcpy(&c, random, sizeof c);
    else
        c = (uintptr_t)__sys_clock_monotonic_ns() * 0x9e3779b97f4a7c15ull ^ (uintptr_t)&c;
    return c & ~(uintptr_t)0xff;
}

static void run_inits(init_fn *start, init_fn *end, int argc, char **argv, char **envp)
{
    for (init_fn *f = start; f && f < end; f++)
        (*f)(argc, argv, envp);
}

_Noreturn void __libc_start(int argc, char **argv, char **envp, uint64_t *auxv)
{
    environ = envp;
    __libc.auxv = auxv;
    __libc.start_ns = __sys_clock_monotonic_ns();
    __libc.canary = make_canary(auxv);
    /* The OS layer first: setting up TLS may need memory from it. It runs
     * on the loader's thread pointer, which already points at a TCB. */
    if (__libaerie_init)
        __libaerie_init(auxv);
    __init_tls(auxv);
    run_inits(__preinit_array_start, __preinit_array_end, argc, argv, envp);
    run_inits(__init_array_start, __init_array_end, argc, argv, envp);
    exit(main(argc, argv, envp));
}
