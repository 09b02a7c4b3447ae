/*
 * clocks.c — the vDSO (docs/LINUX.md "The vDSO"): the clocks a program
 * reads through its C library without a system call agree with the
 * system call, in order, for every clock; AT_SYSINFO_EHDR names a valid
 * ELF shared object exporting the LINUX_2.6 symbols; its pages and the
 * kernel's time page are read-only (a write is SIGSEGV) and a process's
 * private copy of them (mprotect) changes no one else's; fork and execve
 * keep it working. Built with musl-gcc and glibc (-static); checks itself.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

extern char **environ;

#define KIP_ADDR 0x3FF000ul     /* Aerie's kernel info page: the clock's data */

static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
                                    CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
                                    CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
#define NCLOCKS (sizeof clocks / sizeof clocks[0])

static int64_t ns_of(struct timespec ts) { return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec; }

static int64_t sys_ns(clockid_t c)
{
    struct timespec ts;
    if (syscall(SYS_clock_gettime, c, &ts))
        return -1;
    return ns_of(ts);
}

static int64_t lib_ns(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts))
        return -1;
    return ns_of(ts);
}

/* ---- the object AT_SYSINFO_EHDR names ---- */

static const Elf64_Ehdr *ehdr;
static uintptr_t load;                 /* its address 0 */
static const Elf64_Sym *symtab;
static const char *strtab;
static const Elf32_Word *hash;
static const Elf64_Half *versym;
static const Elf64_Verdef *verdef;

static void parse_vdso(void)
{
    ehdr = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
    CHECK(ehdr != NULL);
    if (!ehdr)
        return;
    CHECK(((uintptr_t)ehdr & 4095) == 0);
    CHECK(!memcmp(ehdr->e_ident, ELFMAG, SELFMAG));
    CHECK(ehdr->e_ident[EI_CLASS] == ELFCLASS64 && ehdr->e_ident[EI_DATA] == ELFDATA2LSB);
    CHECK(ehdr->e_type == ET_DYN && ehdr->e_machine == EM_X86_64);
    CHECK(ehdr->e_phentsize == sizeof(Elf64_Phdr) && ehdr->e_phnum > 0 && ehdr->e_phnum < 16);
    const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)ehdr + ehdr->e_phoff);
    const Elf64_Dyn *dyn = NULL;
    int loads = 0;
    for (int i = 0; i < ehdr->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !loads++) {
            load = (uintptr_t)ehdr + ph[i].p_offset - ph[i].p_vaddr;
            CHECK(!(ph[i].p_flags & PF_W));
        }
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = (const Elf64_Dyn *)((const char *)ehdr + ph[i].p_offset);
    }
    CHECK(loads == 1 && dyn != NULL);
    if (!dyn)
        return;
    int gnu = 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        const void *p = (const void *)(load + dyn->d_un.d_ptr);
        switch (dyn->d_tag) {
        case DT_SYMTAB: symtab = p; break;
        case DT_STRTAB: strtab = p; break;
        case DT_HASH: hash = p; break;
        case DT_GNU_HASH: gnu = 1; break;
        case DT_VERSYM: versym = p; break;
        case DT_VERDEF: verdef = p; break;
        case DT_REL: case DT_RELA: case DT_TEXTREL: CHECK(!"a vDSO needs no relocation"); break;
        }
    }
    CHECK(symtab && strtab && hash && gnu && versym && verdef);
}

/* The version index of name in the vDSO's DT_VERDEF, or -1. */
static int version_index(const char *name)
{
    for (const Elf64_Verdef *d = verdef; d; d = d->vd_next ? (const void *)((const char *)d + d->vd_next) : NULL) {
        const Elf64_Verdaux *a = (const void *)((const char *)d + d->vd_aux);
        if (!(d->vd_flags & VER_FLG_BASE) && !strcmp(strtab + a->vda_name, name))
            return d->vd_ndx;
    }
    return -1;
}

/* name@LINUX_2.6, found as musl finds it (DT_HASH's symbol count). */
static void *vdso_sym(const char *name)
{
    if (!symtab || !strtab || !hash || !versym || !verdef)
        return NULL;
    int ver = version_index("LINUX_2.6");
    for (Elf32_Word i = 0; i < hash[1]; i++) {
        const Elf64_Sym *s = &symtab[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
            (ELF64_ST_BIND(s->st_info) != STB_GLOBAL && ELF64_ST_BIND(s->st_info) != STB_WEAK))
            continue;
        if (!strcmp(strtab + s->st_name, name) && (versym[i] & 0x7fff) == ver)
            return (void *)(load + s->st_value);
    }
    return NULL;
}

typedef int (*cgt_fn)(clockid_t, struct timespec *);
typedef int (*gtod_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef int (*getcpu_fn)(unsigned *, unsigned *, void *);
typedef int (*getres_fn)(clockid_t, struct timespec *);

static void symbols_found(void)
{
    CHECK(version_index("LINUX_2.6") > 0);
    const char *names[] = { "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu",
                            "__vdso_clock_getres", "clock_gettime", "gettimeofday", "time", "getcpu" };
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *p = vdso_sym(names[i]);
        if (!p)
            printf("no %s@LINUX_2.6 in the vDSO\n", names[i]);
        CHECK(p != NULL);
    }
    CHECK(vdso_sym("__vdso_nothing") == NULL);
}

/* ---- the clocks ---- */

/* libc, system call, libc, the vDSO's own function, system call: never
 * backwards, for every clock (the CPU-time clocks the vDSO hands to the
 * system call). */
static void clocks_in_order(void)
{
    cgt_fn vcgt = (cgt_fn)vdso_sym("__vdso_clock_gettime");
    CHECK(vcgt != NULL);
    for (unsigned c = 0; c < NCLOCKS; c++) {
        int64_t last = 0;
        int bad = 0, fails = 0;
        for (int i = 0; i < 300; i++) {
            struct timespec ts;
            int64_t v[4] = { lib_ns(clocks[c]), sys_ns(clocks[c]), lib_ns(clocks[c]),
                             vcgt && !vcgt(clocks[c], &ts) ? ns_of(ts) : -1 };
            for (int k = 0; k < 4; k++) {
                fails += v[k] < 0;
                bad += v[k] < last;
                last = v[k];
            }
        }
        if (bad || fails)
            printf("clock %d: %d readings backwards, %d failed\n", (int)clocks[c], bad, fails);
        CHECK(bad == 0 && fails == 0);
        struct timespec r1 = { 9, 9 }, r2 = { 7, 7 };
        CHECK(clock_getres(clocks[c], &r1) == 0 && syscall(SYS_clock_getres, clocks[c], &r2) == 0);
        CHECK(r1.tv_sec == r2.tv_sec && r1.tv_nsec == r2.tv_nsec);
    }
    /* monotonic and boottime: one clock here (nothing suspends); realtime = monotonic + boot time */
    int64_t m = lib_ns(CLOCK_MONOTONIC), b = lib_ns(CLOCK_BOOTTIME), m2 = lib_ns(CLOCK_MONOTONIC);
    CHECK(m <= b && b <= m2);
    /* the offset lies in [r - m2, r - m1] for monotonic readings m1, m2
     * around a realtime one r: the two ways' ranges overlap (1 µs for the
     * rounding of whole ns), however long a reading waited for a CPU */
    int64_t lm1 = lib_ns(CLOCK_MONOTONIC), lr = lib_ns(CLOCK_REALTIME), lm2 = lib_ns(CLOCK_MONOTONIC);
    int64_t sm1 = sys_ns(CLOCK_MONOTONIC), sr = sys_ns(CLOCK_REALTIME), sm2 = sys_ns(CLOCK_MONOTONIC);
    CHECK(lr - lm2 <= sr - sm1 + 1000 && sr - sm2 <= lr - lm1 + 1000);
}

/* Bad clock ids fail as the system call fails: EINVAL, nothing written. */
static void bad_clocks_refused(void)
{
    cgt_fn vcgt = (cgt_fn)vdso_sym("__vdso_clock_gettime");
    getres_fn vres = (getres_fn)vdso_sym("__vdso_clock_getres");
    const clockid_t bad[] = { 99, -1, 1000000, 12 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct timespec ts = { 42, 42 };
        errno = 0;
        CHECK(clock_gettime(bad[i], &ts) == -1 && errno == EINVAL);
        CHECK(ts.tv_sec == 42 && ts.tv_nsec == 42);
        if (vcgt)
            CHECK(vcgt(bad[i], &ts) == -EINVAL);
        if (vres)
            CHECK(vres(bad[i], &ts) == -EINVAL);
    }
}

static void time_and_gettimeofday(void)
{
    struct timeval tv, stv;
    time_t t0 = time(NULL), t1;
    CHECK(gettimeofday(&tv, NULL) == 0);
    CHECK(syscall(SYS_gettimeofday, &stv, NULL) == 0);
    time_t t2 = time(&t1);
    CHECK(t0 > 1600000000);                             /* after 2020: the RTC's date */
    CHECK(t0 <= tv.tv_sec && tv.tv_sec <= t2 && t1 == t2);
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    CHECK((int64_t)tv.tv_sec * 1000000 + tv.tv_usec <= (int64_t)stv.tv_sec * 1000000 + stv.tv_usec);
    CHECK((time_t)syscall(SYS_time, NULL) >= t2);
    time_fn vtime = (time_fn)vdso_sym("__vdso_time");
    gtod_fn vgtod = (gtod_fn)vdso_sym("__vdso_gettimeofday");
    if (vtime && vgtod) {
        struct { int minuteswest, dsttime; } tz = { 5, 5 };
        CHECK(vgtod(&tv, &tz) == 0 && tz.minuteswest == 0 && tz.dsttime == 0);
        CHECK(vgtod(NULL, NULL) == 0);
        time_t a = vtime(NULL);
        CHECK(a >= tv.tv_sec && a - tv.tv_sec <= 1);
    }
}

static void getcpu_agrees(void)
{
    getcpu_fn vcpu = (getcpu_fn)vdso_sym("__vdso_getcpu");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 0; i < 30; i++) {
        unsigned c1 = 999, n1 = 999, c2 = 777, n2 = 777;
        CHECK(syscall(SYS_getcpu, &c1, &n1, NULL) == 0);
        if (vcpu) {
            CHECK(vcpu(&c2, &n2, NULL) == 0);
            CHECK(c1 == c2 && n1 == n2 && n2 == 0);      /* each thread stays on its CPU */
        }
        CHECK(sched_getcpu() == (int)c1);
        CHECK(ncpu < 1 || (long)c1 < ncpu);
        if (failed)
            break;
    }
}

/* The vDSO's clock costs no system call: far cheaper than the call. */
static void cheaper_than_the_call(void)
{
    int64_t best_lib = INT64_MAX, best_sys = INT64_MAX;
    for (int round = 0; round < 5; round++) {
        int64_t t0 = sys_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < 1000; i++)
            lib_ns(CLOCK_MONOTONIC);
        int64_t t1 = sys_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < 1000; i++)
            sys_ns(CLOCK_MONOTONIC);
        int64_t t2 = sys_ns(CLOCK_MONOTONIC);
        if (t1 - t0 < best_lib)
            best_lib = t1 - t0;
        if (t2 - t1 < best_sys)
            best_sys = t2 - t1;
    }
    printf("clocks: clock_gettime %lld ns through libc, %lld ns as a system call\n",
           (long long)best_lib / 1000, (long long)best_sys / 1000);
    CHECK(best_lib * 3 < best_sys);
}

/* ---- the pages are read-only ---- */

/* Runs fn in a child: the signal that ended it, or 0 for a normal exit
 * (its status must then be 0). */
static int in_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        fn();
        _exit(0);
    }
    int st = 0;
    CHECK(p > 0 && waitpid(p, &st, 0) == p);
    if (WIFEXITED(st))
        CHECK(WEXITSTATUS(st) == 0);
    return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void write_vdso(void) { *(volatile char *)ehdr = 0; }
static void write_vdso_text(void) { *(volatile char *)vdso_sym("__vdso_clock_gettime") = (char)0xcc; }
static void write_kip(void) { *(volatile uint64_t *)KIP_ADDR = 0; }
static void write_kip_after_mprotect(void)
{
    mprotect((void *)KIP_ADDR, 4096, PROT_READ | PROT_WRITE);   /* not the process's page: refused */
    *(volatile uint64_t *)(KIP_ADDR + 16) = 1;                   /* the TSC rate */
}

/* mprotect makes a private copy under Aerie (Linux refuses it: then
 * nothing to check): this process's vDSO breaks (ud2 over clock_gettime),
 * no one else's does. */
static void scribble_own_copy(void)
{
    char *f = vdso_sym("__vdso_clock_gettime");
    uintptr_t page = (uintptr_t)f & ~4095ul;
    if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
        _exit(0);
    f[0] = 0x0f;                    /* ud2 */
    f[1] = 0x0b;
    struct timespec ts;
    ((cgt_fn)(void *)f)(CLOCK_MONOTONIC, &ts);   /* SIGILL: its own copy */
    _exit(4);
}

static void pages_read_only(void)
{
    CHECK(in_child(write_vdso) == SIGSEGV);
    CHECK(in_child(write_vdso_text) == SIGSEGV);
    CHECK(in_child(write_kip) == SIGSEGV);
    CHECK(in_child(write_kip_after_mprotect) == SIGSEGV);
    CHECK(mprotect((void *)KIP_ADDR, 4096, PROT_READ | PROT_WRITE) == -1);
    /* attack18: a system call writing into the vDSO (the personality
     * writes no file mapping for a program): EFAULT, the page unchanged */
    int p[2];
    CHECK(pipe(p) == 0 && write(p[1], "xxxxxxxx", 8) == 8);
    CHECK(read(p[0], (void *)ehdr, 8) == -1 && errno == EFAULT);
    CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)ehdr) == -1 && errno == EFAULT);
    CHECK(ehdr->e_ident[0] == 0x7f && ehdr->e_ident[1] == 'E');
    close(p[0]);
    close(p[1]);
    int r = in_child(scribble_own_copy);
    CHECK(r == SIGILL || r == 0);
    /* ours, and a new child's, still tell the time */
    CHECK(lib_ns(CLOCK_MONOTONIC) > 0 && ((cgt_fn)vdso_sym("__vdso_clock_gettime")) != NULL);
    CHECK(((const unsigned char *)vdso_sym("__vdso_clock_gettime"))[0] != 0x0f ||
          ((const unsigned char *)vdso_sym("__vdso_clock_gettime"))[1] != 0x0b);
    CHECK(in_child(clocks_in_order) == 0);
}

/* ---- fork and exec ---- */

static void child_clocks(void)
{
    if (getauxval(AT_SYSINFO_EHDR) != (unsigned long)ehdr)
        _exit(5);
    int64_t a = lib_ns(CLOCK_MONOTONIC), b = sys_ns(CLOCK_MONOTONIC), c = lib_ns(CLOCK_MONOTONIC);
    if (!(a > 0 && a <= b && b <= c))
        _exit(6);
}

static void fork_and_exec(const char *self)
{
    CHECK(in_child(child_clocks) == 0);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char *argv[] = { (char *)self, "exec", NULL };
        execve("/proc/self/exe", argv, environ);
        _exit(7);
    }
    int st = 0;
    CHECK(p > 0 && waitpid(p, &st, 0) == p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* `clocks hold` (lxtest's linux_vdso_stays_inside): this container's
 * vDSO made writable and clock_gettime overwritten with ud2, then it
 * waits (nanosleep, never the vDSO) for cm to kill it. */
static void hold(void)
{
    char *f = vdso_sym("__vdso_clock_gettime");
    uintptr_t page = (uintptr_t)f & ~4095ul;
    if (!f || mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
        exit(3);
    memset(f, 0x0f, 2);
    f[1] = 0x0b;
    printf("clocks: holding a scribbled vDSO\n");
    fflush(stdout);
    for (;;) {
        struct timespec ts = { 1, 0 };
        syscall(SYS_nanosleep, &ts, NULL);
    }
}

int main(int argc, char **argv)
{
    parse_vdso();
    if (argc > 1 && !strcmp(argv[1], "hold"))
        hold();
    if (argc > 1 && !strcmp(argv[1], "exec")) {     /* after execve: a fresh vDSO, working */
        symbols_found();
        clocks_in_order();
        return failed ? 1 : 0;
    }
    symbols_found();
    clocks_in_order();
    bad_clocks_refused();
    time_and_gettimeofday();
    getcpu_agrees();
    cheaper_than_the_call();
    pages_read_only();
    fork_and_exec(argv[0]);
    return done("clocks");
}
