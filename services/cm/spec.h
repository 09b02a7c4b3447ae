/*
 * spec.h — the container spec: what a container runs and what it gets
 * (docs/SPEC.md). Text a person can write, `key=value` words separated by
 * spaces or newlines, `#` comments. Every field has a default; an unknown
 * field or a bad value is refused with a message naming the field. Pure
 * C, so it is unit-tested and fuzzed on the host.
 */
#ifndef AERIE_SPEC_H
#define AERIE_SPEC_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define SPEC_NAME_MAX   32
/* The bounds of what a spec carries to its program (docs/SPEC.md,
 * "Sizes"): Linux's own are ARG_MAX (2 MiB) and MAX_ARG_STRLEN (128 KiB),
 * what docker passes on; ours cover long `sh -c` scripts and dozens of
 * arguments while a spec still travels whole through ctl and cm. */
#define SPEC_MAX_ARGS   256
#define SPEC_MAX_ENV    64
#define SPEC_STR_MAX    (16 * 1024)     /* an argument or an environment variable, with its NUL */
#define SPEC_TEXT_MAX   (64 * 1024)     /* bytes of a whole spec's text */
#define SPEC_PATH_MAX   128             /* the entrypoint, with its NUL (the image lookups' bound) */
#define SPEC_MAX_PORTS  8

/* What a ports= range gives (the net service's NET_PORTS_* values). */
#define SPEC_PORTS_UDP  0       /* UDP ports to bind (a bare range) */
#define SPEC_PORTS_TCP  1       /* tcp: TCP ports to listen on */
#define SPEC_PORTS_OUT  2       /* out: TCP ports it may connect to */

/* Grants a container can get (bits). */
#define SPEC_GRANT_CONSOLE 0x1
#define SPEC_GRANT_FS      0x2
#define SPEC_GRANT_NET     0x4
#define SPEC_GRANT_SELF    0x8      /* its own task, thread and quota (malloc, threads) */
#define SPEC_GRANT_STDIN   0x10     /* input on its console stream (`aerie run -i`); needs console */

struct spec {
    char image[SPEC_NAME_MAX];
    char name[SPEC_NAME_MAX];
    char entrypoint[SPEC_PATH_MAX];   /* an imported image's program instead of its own; "": its own */
    /* The arguments and environment strings, packed: each NUL-terminated
     * in strs (malloc'd by spec_parse as they come, spec_free frees it),
     * found by their offsets. A small spec costs its bytes, not the bounds. */
    char *strs;
    uint32_t strs_len, strs_cap;
    uint32_t arg_at[SPEC_MAX_ARGS];
    unsigned nargs;
    uint32_t env_at[SPEC_MAX_ENV];
    unsigned nenv;
    unsigned grants;                 /* SPEC_GRANT_* */
    bool grants_given;               /* grant= was in the spec (else an imported image adds fs) */
    bool input;                      /* stdin=yes: SPEC_GRANT_STDIN whatever grant= says */
    uint64_t mem;                    /* bytes: everything the container costs */
    uint32_t threads, objects;
    uint32_t prio;
    uint64_t cpus;                   /* bit per CPU; 0 = any */
    uint64_t stack;                  /* bytes of the first thread's stack */
    struct { uint16_t first, last; uint8_t kind; } ports[SPEC_MAX_PORTS];
    unsigned nports;
    uint32_t net_conns;              /* TCP connections at once; 0: the net service's default */
    uint64_t fs_bytes;
    uint32_t fs_inodes;
    unsigned debug;                  /* SPEC_DEBUG_* */
    /* tty=: its stdin, stdout and stderr are a terminal (`aerie run -t`,
     * OCI process.terminal) of rows x cols (OCI process.consoleSize);
     * 0 x 0: no terminal */
    uint16_t tty_rows, tty_cols;
};
#define SPEC_TTY_MAX     9999     /* rows or columns a tty= may say */
#define SPEC_TTY_ROWS    24       /* tty=yes: the size a terminal starts with */
#define SPEC_TTY_COLS    80

/* debug=: how a debugger may reach it (docs/CM.md, "aerie debug"). */
#define SPEC_DEBUG_NO    0       /* no debugger: its program's text is shared, read-only */
#define SPEC_DEBUG_YES   1       /* its program is a private, writable copy: breakpoints work */
#define SPEC_DEBUG_HOLD  2       /* as yes, and a fault holds it for the debugger instead of ending it */

/* Defaults: console and self granted, 16 MiB, 8 threads, 256 objects,
 * priority 10, any CPU, 16 KiB stack, no ports, fs 8 MiB / 1024 inodes. */
void spec_defaults(struct spec *s);

/* Parses text into s (over the defaults). Returns 0, or -1 with a message
 * naming the field and what is wrong in err. Either way, spec_free(s)
 * releases what it holds. */
int spec_parse(const char *text, size_t len, struct spec *s, char *err, size_t errlen);

/* A container name: a letter, then letters, digits, '_', '.', '-' (the
 * length is the caller's to check: SPEC_NAME_MAX - 1 at most). */
bool spec_valid_name(const char *s);

/* Frees s's strings (s stays valid, with no arguments or environment). */
void spec_free(struct spec *s);

static inline const char *spec_arg(const struct spec *s, unsigned i) { return s->strs + s->arg_at[i]; }
static inline const char *spec_env(const struct spec *s, unsigned i) { return s->strs + s->env_at[i]; }

#endif
