/*
 * aerie_spec.h — `aerie run` and `aerie start` options turned into a
 * container spec (services/cm/spec.h): each option becomes one spec word,
 * checked on the spot by cm's own spec parser so a bad value is refused
 * with the option's name before anything reaches Aerie.
 */
#ifndef AERIE_SPEC_CLI_H
#define AERIE_SPEC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define RUN_WORDS_MAX (256 + 64)                /* the arguments (SPEC_MAX_ARGS) and options */

struct run_request {
    char *words[RUN_WORDS_MAX];                /* spec words, in order (malloc'd) */
    int nwords;
    char *text;                                /* the words joined: the spec (malloc'd) */
    size_t text_len;
    bool rm;                                   /* --rm: remove it once it ends */
    bool interactive;                          /* -i: our stdin is its input (grant stdin) */
    bool tty;                                  /* -t: a terminal (spec tty=; our stdin raw if it is one) */
    bool detach;                               /* -d: started in the background (aerie start) */
    bool help;                                 /* --help was asked for */
};

/* Parses [OPTION]... IMAGE [ARG]... (argv without the command name) into
 * rr, zeroed or from an earlier run_parse (what it held is freed first).
 * allow_rm: --rm, -d, -i and -t are accepted (run). Returns 0, or -1 with a message that
 * names the bad argument in err. */
int run_parse(int argc, char **argv, bool allow_rm, struct run_request *rr, char *err, size_t errlen);
/* Frees what rr holds and zeroes it. */
void run_free(struct run_request *rr);

/* cm's refusal of a spec ("spec: cpus: ...") with the option that set the
 * field named instead ("--cpus: ..."), into out. */
void run_explain(const char *msg, char *out, size_t cap);

/* Prints the options, one per line, for --help. */
void run_print_options(FILE *f);

/* Into out: "did you mean 'X'?" (or 'X' or 'Y') naming the candidates
 * nearest word, a typo or two away (leading dashes aside); "" if none is
 * near enough. For unknown commands and options. */
void nearest_words(const char *word, const char *const *cands, size_t n, char *out, size_t cap);

#endif
