/*
 * dynhello.c — a dynamically linked Linux program (built with musl-gcc
 * and with gcc, each against its own C library's ld.so) for the Linux
 * personality's dynamic loading (docs/LINUX.md, "Dynamically linked
 * programs"). What it does is its first argument:
 *   (none)        says hello, checks the auxiliary vector, exits 7
 *   dlopen        loads /lib/libdyntest.so and calls into it
 *   spawn         fork + exec of /bin/dynhello (dynamic too), waits for 7
 *   exec PATH     execve(PATH); prints the errno it fails with
 *   text          makes its own and its C library's first (read-only, file)
 *                 page writable, writes into it, checks the file and a
 *                 child's copy see nothing; prints "written", lingers
 *   clean         checks those pages hold the file's bytes (another
 *                 container runs it while a "text" one lingers)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../progs/check.h"

#ifdef __GLIBC__
#define LIBC "glibc"
#else
#define LIBC "musl"
#endif

extern char **environ;
int main(int argc, char **argv);

/* The first page of the object holding addr (its ELF header) and its file. */
static uint8_t *object_of(void *addr, const char **file)
{
    Dl_info di;
    if (!dladdr(addr, &di) || !di.dli_fbase)
        return NULL;
    *file = di.dli_fname;
    return di.dli_fbase;
}

/* The first 16 bytes of the object's page: its ELF ident, bytes 8..15 zero. */
static int ident_clean(const uint8_t *p)
{
    static const uint8_t zero[8];
    return p && !memcmp(p, "\177ELF", 4) && !memcmp(p + 8, zero, 8);
}

/* The file's bytes 0..15 as the fs has them. */
static int file_clean(const char *path)
{
    uint8_t b[16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int ok = fd >= 0 && pread(fd, b, 16, 0) == 16 && ident_clean(b);
    if (fd >= 0)
        close(fd);
    return ok;
}

static int scribble(uint8_t *page)
{
    if (mprotect(page, 4096, PROT_READ | PROT_WRITE))
        return -1;
    memset(page + 8, 'X', 8);
    return 0;
}

static int run_child(char *const *argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        execve(argv[0], argv, environ);
        _exit(99);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int text(int linger)
{
    const char *pf = NULL, *lf = NULL;
    uint8_t *prog = object_of((void *)main, &pf), *libc = object_of((void *)printf, &lf);
    CHECK(prog && libc && prog != libc);
    CHECK(ident_clean(prog) && ident_clean(libc));
    /* a fresh private mapping of the C library's file, written after mprotect */
    int fd = open(lf, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    uint8_t *m = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED && ident_clean(m));
    CHECK(scribble(m) == 0 && m[8] == 'X');
    uint8_t *m2 = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m2 != MAP_FAILED && ident_clean(m2));
    close(fd);
    CHECK(scribble(prog) == 0 && prog[8] == 'X');
    CHECK(scribble(libc) == 0 && libc[8] == 'X');
    CHECK(file_clean(lf));
    char *argv[] = { "/bin/dynhello", "clean", NULL };
    CHECK(run_child(argv) == 0);                  /* the same files, loaded again: untouched */
    printf("written\n");
    fflush(stdout);
    if (linger)
        sleep(3);
    return done("dynhello-text");
}

static int clean(void)
{
    const char *pf = NULL, *lf = NULL;
    CHECK(ident_clean(object_of((void *)main, &pf)));
    CHECK(ident_clean(object_of((void *)printf, &lf)));
    CHECK(lf && file_clean(lf));
    return done("dynhello-clean");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "dlopen")) {
        void *h = dlopen("/lib/libdyntest.so", RTLD_NOW);
        int (*add)(int, int) = h ? (int (*)(int, int))dlsym(h, "dyntest_add") : NULL;
        CHECK(h != NULL);
        CHECK(add && add(40, 2) == 42);
        CHECK(dlopen("/lib/nonexistent.so", RTLD_NOW) == NULL);
        CHECK(h && dlclose(h) == 0);
        return done("dynhello-dlopen");
    }
    if (argc > 1 && !strcmp(argv[1], "spawn")) {
        char *cargv[] = { "/bin/dynhello", "child", NULL };
        for (int i = 0; i < 3; i++)
            CHECK(run_child(cargv) == 7);
        return done("dynhello-spawn");
    }
    if (argc > 2 && !strcmp(argv[1], "exec")) {
        char *cargv[] = { argv[2], NULL };
        execve(argv[2], cargv, environ);
        printf("dynhello: exec %s: errno %d\n", argv[2], errno);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "text"))
        return text(argc > 2);
    if (argc > 1 && !strcmp(argv[1], "clean"))
        return clean();
    unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY);
    extern void _start(void);
    printf("dynhello: a dynamic " LIBC " program: argc=%d argv[0]=%s base %s entry %s\n", argc, argv[0],
           base ? "set" : "0", entry == (unsigned long)_start ? "ok" : "wrong");
    fflush(stdout);
    return 7;
}
