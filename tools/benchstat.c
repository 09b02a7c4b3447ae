/*
 * benchstat.c — turns the SAMPLE lines of benchmark logs into results.
 *
 * Reads every line "SAMPLE <experiment> <system> <method> <param> <value>
 * <unit>" (bench/README.md) from the given logs and writes, into OUTDIR:
 *   <experiment>.csv   one row per sample
 *   stats.tsv          per series (experiment, system, method, param, unit):
 *                      count, median, p90, p99, min, max
 *   summary.tsv        one row per measure: measure, aerie, linux_best,
 *                      ratio (aerie / linux_best), unit; a value that is not
 *                      there is written "missing" and the reason goes to stderr;
 *                      a measure only one system defines (not in the list
 *                      both must report, and the other system has no sample
 *                      of its experiment at all, e.g. Aerie's startup_main)
 *                      has "-" for the other system and the ratio
 *   goals.tsv          the measures an issue sets a goal for (aerie / linux
 *                      at most or at least a ratio): measure, ratio, goal,
 *                      verdict (met, not met, or missing)
 *   plot-NAME.dat      the data the gnuplot scripts in bench/plots/ draw
 * and prints the summary as a table. Malformed SAMPLE lines are reported
 * (file and line) and skipped, never read as zero.
 *
 * usage: benchstat -o OUTDIR LOG...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>     /* isfinite, a macro */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LINE_MAX_LEN 1024
#define NAME_MAX_LEN 64

struct sample {
    char exp[NAME_MAX_LEN], sys[NAME_MAX_LEN], method[NAME_MAX_LEN];
    char param[NAME_MAX_LEN], unit[NAME_MAX_LEN];
    double value;
    const char *log;
    long order;                 /* position in the input, to keep sample order */
};

/* A series: the samples of one (experiment, system, method, param, unit). */
struct series {
    struct sample *first;       /* into the sorted sample array */
    long n;
    double *sorted;             /* values, ascending */
};

static struct sample *samples;
static long nsamples, cap;
static struct series *series;
static long nseries;
static const char *outdir;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "benchstat: out of memory\n");
        exit(2);
    }
    return p;
}

static FILE *out_open(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "benchstat: cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return f;
}

/* ---- reading ---- */

static bool good_name(const char *s)
{
    for (; *s; s++)
        if (*s == ',' || *s == '"' || *s < 0x21 || *s > 0x7e)
            return false;
    return true;
}

/* Parses one SAMPLE line; returns the reason it is malformed, or NULL. */
static const char *parse_sample(char *line, struct sample *s)
{
    char *tok[8];
    int n = 0;
    for (char *save, *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == 8)
            return "more than 7 fields";
        tok[n++] = t;
    }
    if (n != 7)
        return "not 7 fields";
    char *fields[5] = { tok[1], tok[2], tok[3], tok[4], tok[6] };
    char *dst[5] = { s->exp, s->sys, s->method, s->param, s->unit };
    for (int i = 0; i < 5; i++) {
        if (strlen(fields[i]) >= NAME_MAX_LEN || !good_name(fields[i]))
            return "a name field is too long or has a comma, quote or control character";
        strcpy(dst[i], fields[i]);
    }
    char *end;
    errno = 0;
    s->value = strtod(tok[5], &end);
    if (errno || *end || end == tok[5] || !isfinite(s->value))
        return "the value is not a finite number";
    return NULL;
}

static long read_log(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "benchstat: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[LINE_MAX_LEN];
    long lineno = 0, bad = 0, good = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (strncmp(line, "SAMPLE ", 7) != 0)
            continue;
        if (nsamples == cap) {
            cap = cap ? cap * 2 : 4096;
            samples = xrealloc(samples, (size_t)cap * sizeof *samples);
        }
        struct sample *s = &samples[nsamples];
        const char *why = parse_sample(line, s);
        if (why) {
            if (bad++ < 5)
                fprintf(stderr, "benchstat: %s:%ld: skipped a malformed SAMPLE line: %s\n", path, lineno, why);
            continue;
        }
        s->log = path;
        s->order = nsamples++;
        good++;
    }
    fclose(f);
    if (bad > 5)
        fprintf(stderr, "benchstat: %s: %ld malformed SAMPLE lines in all\n", path, bad);
    return good;
}

/* ---- grouping and statistics ---- */

static int cmp_key(const struct sample *a, const struct sample *b)
{
    int c;
    if ((c = strcmp(a->exp, b->exp)) || (c = strcmp(a->sys, b->sys)) ||
        (c = strcmp(a->method, b->method)) || (c = strcmp(a->param, b->param)) ||
        (c = strcmp(a->unit, b->unit)))
        return c;
    return 0;
}

/* Orders params that carry a number (idle=100, n=16, streams=8) by it. */
static int cmp_param(const char *a, const char *b)
{
    const char *ea = strchr(a, '='), *eb = strchr(b, '=');
    if (ea && eb && ea - a == eb - b && strncmp(a, b, (size_t)(ea - a)) == 0)
        return (atof(ea + 1) > atof(eb + 1)) - (atof(ea + 1) < atof(eb + 1));
    return strcmp(a, b);
}

static int cmp_sample(const void *pa, const void *pb)
{
    const struct sample *a = pa, *b = pb;
    int c;
    if ((c = strcmp(a->exp, b->exp)) || (c = strcmp(a->sys, b->sys)) ||
        (c = strcmp(a->method, b->method)) || (c = cmp_param(a->param, b->param)) ||
        (c = strcmp(a->unit, b->unit)))
        return c;
    return (a->order > b->order) - (a->order < b->order);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void group_series(void)
{
    qsort(samples, (size_t)nsamples, sizeof *samples, cmp_sample);
    series = xrealloc(NULL, (size_t)(nsamples + 1) * sizeof *series);
    for (long i = 0; i < nsamples;) {
        long j = i;
        while (j < nsamples && cmp_key(&samples[i], &samples[j]) == 0)
            j++;
        struct series *s = &series[nseries++];
        s->first = &samples[i];
        s->n = j - i;
        s->sorted = xrealloc(NULL, (size_t)s->n * sizeof(double));
        for (long k = 0; k < s->n; k++)
            s->sorted[k] = samples[i + k].value;
        qsort(s->sorted, (size_t)s->n, sizeof(double), cmp_double);
        i = j;
    }
}

/* Nearest-rank percentile of a sorted array; p = 50 gives the median
 * (the mean of the middle two for an even count). */
static double percentile(const struct series *s, double p)
{
    if (p == 50 && s->n % 2 == 0)
        return (s->sorted[s->n / 2 - 1] + s->sorted[s->n / 2]) / 2;
    double exact = p / 100.0 * (double)s->n;
    long rank = (long)exact;
    if ((double)rank < exact)
        rank++;                 /* ceil, without libm */
    if (rank < 1)
        rank = 1;
    return s->sorted[rank - 1];
}

/* ---- CSV and stats ---- */

static void write_csv(void)
{
    FILE *f = NULL;
    const char *cur = "";
    long idx = 0;
    for (long i = 0; i < nsamples; i++) {
        struct sample *s = &samples[i];
        if (strcmp(s->exp, cur) != 0) {
            char name[NAME_MAX_LEN + 8];
            if (f)
                fclose(f);
            snprintf(name, sizeof name, "%s.csv", s->exp);
            f = out_open(name);
            fprintf(f, "experiment,system,method,param,sample,value,unit,log\n");
            cur = s->exp;
        }
        idx = (i > 0 && cmp_key(s, s - 1) == 0) ? idx + 1 : 0;
        fprintf(f, "%s,%s,%s,%s,%ld,%.9g,%s,%s\n", s->exp, s->sys, s->method, s->param, idx,
                s->value, s->unit, s->log);
    }
    if (f)
        fclose(f);
}

static void write_stats(void)
{
    FILE *f = out_open("stats.tsv");
    fprintf(f, "experiment\tsystem\tmethod\tparam\tunit\tcount\tmedian\tp90\tp99\tmin\tmax\n");
    for (long i = 0; i < nseries; i++) {
        struct series *s = &series[i];
        struct sample *k = s->first;
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%ld\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\n", k->exp, k->sys,
                k->method, k->param, k->unit, s->n, percentile(s, 50), percentile(s, 90),
                percentile(s, 99), s->sorted[0], s->sorted[s->n - 1]);
    }
    fclose(f);
}

/* ---- summary ---- */

/* fs, udp_bw and restart name a different measure by each method (write_4k,
 * mbit, the service killed);
 * elsewhere methods are alternatives for one measure (fork_exec, runc). */
static bool method_is_measure(const char *exp)
{
    return strcmp(exp, "fs") == 0 || strcmp(exp, "udp_bw") == 0 || strcmp(exp, "restart") == 0;
}

/* Where several samples are taken at once, the papers compare the tail
 * (startup_parallel and its companions such as startup_parallel_main). */
static double summary_p(const char *exp)
{
    return strncmp(exp, "startup_parallel", 16) == 0 ? 99 : 50;
}

static bool lower_is_better(const char *unit)
{
    return strcmp(unit, "ns") == 0 || strcmp(unit, "us") == 0 || strcmp(unit, "ms") == 0 ||
           strcmp(unit, "KiB") == 0;
}

struct measure {
    char exp[NAME_MAX_LEN], param[NAME_MAX_LEN], method[NAME_MAX_LEN];  /* method: if part of it */
    char vs[NAME_MAX_LEN];      /* compare with this Linux method only, or "" for the best */
};

/* The measures every run must report; any others found in the logs follow. */
static const struct measure expected[] = {
    { "startup", "idle=0", "", "" }, { "startup", "idle=100", "", "" }, { "startup", "idle=1000", "", "" },
    { "startup", "idle=0", "", "runc" }, { "startup", "idle=0", "", "crun" },
    { "startup_parallel", "n=16", "", "" }, { "startup_parallel", "n=64", "", "" },
    { "ipc_rtt", "same_cpu", "", "" }, { "ipc_rtt", "cross_cpu", "", "" },
    { "ipc_rtt_trace", "trace_off", "", "" }, { "ipc_rtt_trace", "trace_on", "", "" },
    { "fs", "-", "write_4k", "" }, { "fs", "-", "read_4k", "" }, { "fs", "-", "write_1m", "" },
    { "fs", "-", "read_1m", "" }, { "fs", "-", "create", "" }, { "fs", "-", "stat", "" },
    { "fs", "-", "unlink", "" },
    { "udp_bw", "streams=1", "mbit", "" }, { "udp_bw", "streams=2", "mbit", "" },
    { "udp_bw", "streams=4", "mbit", "" }, { "udp_bw", "streams=8", "mbit", "" },
    { "udp_bw", "streams=1", "pps", "" }, { "udp_bw", "streams=2", "pps", "" },
    { "udp_bw", "streams=4", "pps", "" }, { "udp_bw", "streams=8", "pps", "" },
    { "mem_idle", "-", "", "" }, { "mem_idle", "-", "", "runc" }, { "mem_idle", "-", "", "crun" },
    { "idle_capacity", "-", "", "" },
};

/* Goals the issues set for a measure of the summary, as a ratio aerie /
 * linux_best (docs/EVALUATION.md's summary lists them all; only those
 * of the Linux ABI benchmark are here so far). Issue 13: a Linux program's
 * start at most 0.25 × Linux's fork/vfork + exec, and a shell workload run
 * by the same busybox at most 1.0 × the Linux guest's time. */
struct goal {
    const char *exp, *param;
    bool at_most;
    double ratio;
};

static const struct goal goals[] = {
    { "lx_spawn", "busybox_true", true, 0.25 },
    { "lx_shell", "pipes=1000", true, 1.0 },
    { "lx_tree", "files=1000", true, 1.0 },
};

static const struct goal *goal_of(const struct measure *m)
{
    for (size_t i = 0; i < sizeof goals / sizeof goals[0]; i++)
        if (!strcmp(goals[i].exp, m->exp) && !strcmp(goals[i].param, m->param) && !m->method[0] &&
            !m->vs[0])
            return &goals[i];
    return NULL;
}

static bool series_in_measure(const struct series *s, const struct measure *m, const char *sys)
{
    const struct sample *k = s->first;
    if (strcmp(k->exp, m->exp) || strcmp(k->param, m->param) || strcmp(k->sys, sys))
        return false;
    if (m->method[0] && strcmp(k->method, m->method))
        return false;
    if (m->vs[0] && strcmp(sys, "linux") == 0 && strcmp(k->method, m->vs))
        return false;
    return true;
}

/* A memory-per-instance series read as the drop in free memory is not a
 * measurement when some batch freed memory: the system was still giving
 * back what earlier work held (runc's frees are asynchronous), so every
 * sample mixes the instances' cost with that. Such a series is reported
 * as unmeasured, never as its median. */
static bool unsettled(const struct series *s)
{
    return strcmp(s->first->exp, "mem_idle") == 0 && s->sorted[0] < 0;
}

/* The best statistic among one system's series for a measure; false if
 * none. *skipped counts the series left out as unsettled. */
static bool best_of(const struct measure *m, const char *sys, double *value, const char **unit,
                    const char **method, int *skipped)
{
    bool found = false;
    for (long i = 0; i < nseries; i++) {
        struct series *s = &series[i];
        if (!series_in_measure(s, m, sys))
            continue;
        if (unsettled(s)) {
            fprintf(stderr, "benchstat: %s %s %s: unmeasured: samples from %.6g to %.6g %s (memory was "
                    "still being freed)\n", s->first->exp, sys, s->first->method, s->sorted[0],
                    s->sorted[s->n - 1], s->first->unit);
            (*skipped)++;
            continue;
        }
        double v = percentile(s, summary_p(m->exp));
        bool low = lower_is_better(s->first->unit);
        if (!found || (low ? v < *value : v > *value)) {
            *value = v;
            *unit = s->first->unit;
            *method = s->first->method;
            found = true;
        }
    }
    return found;
}

static void measure_name(const struct measure *m, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s%s%s (%s)", m->exp, m->method[0] ? " " : "", m->method,
             strcmp(m->param, "-") ? " " : "", strcmp(m->param, "-") ? m->param : "",
             m->vs[0] ? " vs " : "", m->vs, summary_p(m->exp) == 99 ? "p99" : "median");
}

static bool system_seen(const char *sys)
{
    for (long i = 0; i < nsamples; i++)
        if (strcmp(samples[i].sys, sys) == 0)
            return true;
    return false;
}

/* Why a system has no value for a measure, on stderr: once for a system
 * with no samples at all, else once per measure. */
static void report_missing(const char *name, const char *sys, const char *vs)
{
    static bool told_aerie, told_linux;
    bool *told = strcmp(sys, "aerie") == 0 ? &told_aerie : &told_linux;
    if (!system_seen(sys)) {
        if (!*told)
            fprintf(stderr, "benchstat: no SAMPLE line has system=%s: every %s value is missing\n",
                    sys, sys);
        *told = true;
        return;
    }
    fprintf(stderr, "benchstat: %s: %s missing: no SAMPLE line with system=%s%s%s for it\n",
            name, sys, sys, vs[0] ? " method=" : "", vs);
}

/* True if sys has any sample of experiment exp. */
static bool experiment_seen(const char *exp, const char *sys)
{
    for (long i = 0; i < nsamples; i++)
        if (strcmp(samples[i].exp, exp) == 0 && strcmp(samples[i].sys, sys) == 0)
            return true;
    return false;
}

/* `expected`: a measure both systems must report. Otherwise a system with
 * no sample of the experiment does not define it: "-", not "missing". */
static void summary_row(FILE *f, FILE *gf, const struct measure *m, bool expected_measure, int *missing)
{
    char name[4 * NAME_MAX_LEN + 32], av[32] = "missing", lv[32] = "missing", ratio[32] = "missing";
    double a = 0, l = 0;
    const char *au = NULL, *lu = NULL, *am = NULL, *lm = NULL;
    measure_name(m, name, sizeof name);
    int sa = 0, sl = 0;
    bool ha = best_of(m, "aerie", &a, &au, &am, &sa), hl = best_of(m, "linux", &l, &lu, &lm, &sl);
    if (ha)
        snprintf(av, sizeof av, "%.6g", a);
    else if (sa)
        snprintf(av, sizeof av, "unmeasured"), snprintf(ratio, sizeof ratio, "-");
    else if (!expected_measure && !experiment_seen(m->exp, "aerie"))
        snprintf(av, sizeof av, "-"), snprintf(ratio, sizeof ratio, "-");
    else {
        report_missing(name, "aerie", "");
        (*missing)++;
    }
    if (hl)
        snprintf(lv, sizeof lv, "%.6g", l);
    else if (sl)
        snprintf(lv, sizeof lv, "unmeasured"), snprintf(ratio, sizeof ratio, "-");
    else if (!expected_measure && !experiment_seen(m->exp, "linux"))
        snprintf(lv, sizeof lv, "-"), snprintf(ratio, sizeof ratio, "-");
    else {
        report_missing(name, "linux", m->vs);
        (*missing)++;
    }
    if (ha && hl && au && lu && strcmp(au, lu) != 0)
        fprintf(stderr, "benchstat: %s: aerie is in %s but linux in %s; no ratio\n", name, au, lu);
    else if (ha && hl && l != 0)
        snprintf(ratio, sizeof ratio, "%.4g", a / l);
    const char *unit = hl ? lu : ha ? au : "-";
    fprintf(f, "%s\t%s\t%s\t%s\t%s\n", name, av, lv, ratio, unit);
    const struct goal *g = goal_of(m);
    char goal[64] = "";
    if (g) {
        bool have = ha && hl && l != 0 && !(au && lu && strcmp(au, lu));
        double r = have ? a / l : 0;
        bool met = have && (g->at_most ? r <= g->ratio : r >= g->ratio);
        snprintf(goal, sizeof goal, "%s %.3g: %s", g->at_most ? "<=" : ">=", g->ratio,
                 !have ? "missing" : met ? "met" : "not met");
        fprintf(gf, "%s\t%s\t%s %.3g\t%s\n", name, ratio, g->at_most ? "<=" : ">=", g->ratio,
                !have ? "missing" : met ? "met" : "not met");
    }
    printf("  %-38s %12s %12s %-12s %9s  %-6s %s\n", name, av, lv, hl ? lm : "", ratio, unit, goal);
}

static bool measure_known(const struct measure *list, long n, const struct measure *m)
{
    for (long i = 0; i < n; i++)
        if (!strcmp(list[i].exp, m->exp) && !strcmp(list[i].param, m->param) &&
            !strcmp(list[i].method, m->method) && !strcmp(list[i].vs, m->vs))
            return true;
    return false;
}

static void write_summary(void)
{
    long n = sizeof expected / sizeof expected[0], nexpected = n;
    struct measure *all = xrealloc(NULL, (size_t)(n + nseries) * sizeof *all);
    memcpy(all, expected, sizeof expected);
    for (long i = 0; i < nseries; i++) {      /* measures in the logs but not expected */
        struct sample *k = series[i].first;
        struct measure m = { .vs = "" };
        snprintf(m.exp, sizeof m.exp, "%s", k->exp);
        snprintf(m.param, sizeof m.param, "%s", k->param);
        snprintf(m.method, sizeof m.method, "%s", method_is_measure(k->exp) ? k->method : "");
        if (!measure_known(all, n, &m))
            all[n++] = m;
    }
    FILE *f = out_open("summary.tsv"), *gf = out_open("goals.tsv");
    fprintf(f, "measure\taerie\tlinux_best\tratio\tunit\n");
    fprintf(gf, "measure\tratio\tgoal\tverdict\n");
    printf("  %-38s %12s %12s %-12s %9s  %-6s %s\n", "measure", "aerie", "linux_best", "(method)", "ratio", "unit",
           "goal (ratio)");
    int missing = 0;
    for (long i = 0; i < n; i++)
        summary_row(f, gf, &all[i], i < nexpected, &missing);
    fclose(f);
    fclose(gf);
    free(all);
    if (missing)
        fprintf(stderr, "benchstat: %d values missing from summary.tsv (written as 'missing')\n", missing);
}

/* ---- plot data ---- */

static struct series *find_series(const char *exp, const char *sys, const char *method,
                                  const char *param)
{
    for (long i = 0; i < nseries; i++) {
        struct sample *k = series[i].first;
        if (!strcmp(k->exp, exp) && !strcmp(k->sys, sys) && !strcmp(k->method, method) &&
            !strcmp(k->param, param))
            return &series[i];
    }
    return NULL;
}

/* Distinct values of one field over an experiment's series, in order. */
enum field { F_SYSMETHOD, F_PARAM, F_METHOD, F_SYS };

static int distinct(const char *exp, const char *method_only, enum field fld, char out[][2 * NAME_MAX_LEN], int max)
{
    int n = 0;
    for (long i = 0; i < nseries; i++) {
        struct sample *k = series[i].first;
        if (strcmp(k->exp, exp) || (method_only && strcmp(k->method, method_only)))
            continue;
        char v[2 * NAME_MAX_LEN];
        switch (fld) {
        case F_SYSMETHOD: snprintf(v, sizeof v, "%s/%s", k->sys, k->method); break;
        case F_PARAM: snprintf(v, sizeof v, "%s", k->param); break;
        case F_METHOD: snprintf(v, sizeof v, "%s", k->method); break;
        case F_SYS: snprintf(v, sizeof v, "%s", k->sys); break;
        }
        int j;
        for (j = 0; j < n && strcmp(out[j], v); j++)
            ;
        if (j == n && n < max)
            strcpy(out[n++], v);
    }
    if (fld == F_PARAM)   /* series are sorted by param within a method only */
        for (int a = 1; a < n; a++)
            for (int b = a; b > 0 && cmp_param(out[b - 1], out[b]) > 0; b--) {
                char t[2 * NAME_MAX_LEN];
                strcpy(t, out[b]); strcpy(out[b], out[b - 1]); strcpy(out[b - 1], t);
            }
    return n;
}

#define MAXCOL 32

/* A table: one row per row-field value, one column per column-field value,
 * each cell the median divided by `scale`, "NaN" where nothing was measured. */
static void write_table(const char *file, const char *exp, const char *method_only,
                        enum field rows, enum field cols, double scale, bool numeric_rows)
{
    static char rv[MAXCOL][2 * NAME_MAX_LEN], cv[MAXCOL][2 * NAME_MAX_LEN];
    int nr = distinct(exp, method_only, rows, rv, MAXCOL);
    int nc = distinct(exp, method_only, cols, cv, MAXCOL);
    FILE *f = out_open(file);
    fprintf(f, "x");
    for (int c = 0; c < nc; c++)
        fprintf(f, "\t%s", cv[c]);
    fprintf(f, "\n");
    for (int r = 0; r < nr; r++) {
        const char *eq = strchr(rv[r], '=');
        fprintf(f, "%s", numeric_rows && eq ? eq + 1 : rv[r]);
        for (int c = 0; c < nc; c++) {
            char sys[NAME_MAX_LEN] = "", method[2 * NAME_MAX_LEN] = "", param[2 * NAME_MAX_LEN] = "";
            const char *cell[2] = { rv[r], cv[c] };
            enum field fl[2] = { rows, cols };
            for (int i = 0; i < 2; i++) {
                if (fl[i] == F_PARAM) snprintf(param, sizeof param, "%s", cell[i]);
                else if (fl[i] == F_METHOD) snprintf(method, sizeof method, "%s", cell[i]);
                else if (fl[i] == F_SYS) snprintf(sys, sizeof sys, "%s", cell[i]);
                else sscanf(cell[i], "%63[^/]/%127s", sys, method);
            }
            if (method_only)
                snprintf(method, sizeof method, "%s", method_only);
            if (!param[0])
                snprintf(param, sizeof param, "-");
            struct series *s = find_series(exp, sys, method, param);
            if (s)
                fprintf(f, "\t%.6g", percentile(s, 50) / scale);
            else
                fprintf(f, "\tNaN");
        }
        fprintf(f, "\n");
    }
    fclose(f);
}

/* CDF blocks for gnuplot's "index": a title line, then "latency_ms fraction". */
static void write_cdf(const char *file, const char *param)
{
    FILE *f = out_open(file);
    int blocks = 0;
    for (long i = 0; i < nseries; i++) {
        struct series *s = &series[i];
        struct sample *k = s->first;
        if (strcmp(k->exp, "startup_parallel") || strcmp(k->param, param))
            continue;
        fprintf(f, "%s%s/%s\tfraction\n", blocks++ ? "\n\n" : "", k->sys, k->method);
        for (long j = 0; j < s->n; j++)
            fprintf(f, "%.6g\t%.6g\n", s->sorted[j] / 1e6, (double)(j + 1) / (double)s->n);
    }
    if (!blocks)
        fprintf(f, "none\tfraction\nNaN\tNaN\n");
    fclose(f);
}

static void write_plot_data(void)
{
    write_table("plot-startup.dat", "startup", NULL, F_PARAM, F_SYSMETHOD, 1e6, true);
    write_cdf("plot-cdf-n16.dat", "n=16");
    write_cdf("plot-cdf-n64.dat", "n=64");
    write_table("plot-udp.dat", "udp_bw", "mbit", F_PARAM, F_SYS, 1, true);
    write_table("plot-ipc.dat", "ipc_rtt", NULL, F_PARAM, F_SYSMETHOD, 1e3, false);
    write_table("plot-fs.dat", "fs", NULL, F_METHOD, F_SYS, 1, false);
    write_table("plot-mem.dat", "mem_idle", NULL, F_METHOD, F_SYS, 1, false);
}

int main(int argc, char **argv)
{
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "-o") == 0) {
        outdir = argv[2];
        i = 3;
    }
    if (!outdir || i >= argc) {
        fprintf(stderr, "usage: benchstat -o OUTDIR LOG...\n");
        return 2;
    }
    mkdir(outdir, 0755);
    int unreadable = 0;
    for (; i < argc; i++) {
        long n = read_log(argv[i]);
        if (n < 0)
            unreadable++;
        else if (n == 0)
            fprintf(stderr, "benchstat: %s: no SAMPLE lines\n", argv[i]);
    }
    group_series();
    write_csv();
    write_stats();
    write_plot_data();
    write_summary();
    printf("benchstat: %ld samples in %ld series from %d logs -> %s/\n", nsamples, nseries,
           argc - 3, outdir);
    return unreadable ? 1 : 0;
}
