/*
 * mkimage — builds an Aerie image archive (include/aerie/image.h) from host
 * files and directory trees, and lists one. The archive is assembled by
 * tools/imgbuild.c and checked with lib/image's validator before it is
 * written, so mkimage never writes an archive Aerie would refuse.
 * docs/IMAGE.md has the usage; `mkimage --help` prints it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <aerie/image.h>
#include "../lib/image/img.h"
#include "imgbuild.h"

static const char usage[] =
"usage: mkimage -o OUT [-C DIR] [-d NAME] [-l NAME=TARGET] SPEC...\n"
"       mkimage --list IMAGE\n"
"\n"
"Builds an Aerie image archive OUT. Each SPEC adds files:\n"
"  PATH           the host file or directory PATH (relative to the -C directory),\n"
"                 stored under the same path, normalized; a directory is added\n"
"                 with everything below it\n"
"  NAME=HOSTPATH  the host file or directory HOSTPATH stored as NAME (a SPEC is\n"
"                 split at its first '=', so NAME cannot contain '=')\n"
"Options:\n"
"  -o OUT         the archive to write (written whole or not at all)\n"
"  -C DIR         read the host paths that follow relative to DIR\n"
"  -d NAME        add an empty directory NAME\n"
"  -l NAME=TARGET add a symbolic link NAME to TARGET (stored as given; symbolic\n"
"                 links inside host directory trees are refused, not followed)\n"
"  --list IMAGE   check IMAGE and print its entries: type, mode, size, data offset,\n"
"                 path (and ' -> TARGET' for a symbolic link)\n"
"  --help         this text\n"
"Missing parent directories are added with mode 0755. Entries are sorted and\n"
"carry no timestamps, so the same inputs always give the same bytes.\n";

static struct imgb *builder;
static char why[8192];

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mkimage: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static uint8_t *read_host_file(const char *path, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) < 0)
        die("%s: %s", path, strerror(errno));
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf)
        die("%s: out of memory for %lld bytes", path, (long long)st.st_size);
    size_t got = fread(buf, 1, (size_t)st.st_size, f);
    if (got != (size_t)st.st_size || ferror(f))
        die("%s: read %zu of %lld bytes", path, got, (long long)st.st_size);
    fclose(f);
    *size = got;
    return buf;
}

static void add_tree(const char *name, const char *host, const struct stat *st);

static void add_dir_contents(const char *name, const char *host)
{
    DIR *d = opendir(host);
    if (!d)
        die("%s: %s", host, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *cname, *chost;
        if (asprintf(&cname, "%s/%s", name, de->d_name) < 0 ||
            asprintf(&chost, "%s/%s", host, de->d_name) < 0)
            die("out of memory");
        struct stat cst;
        if (lstat(chost, &cst) < 0)
            die("%s: %s", chost, strerror(errno));
        if (S_ISLNK(cst.st_mode))
            die("%s: a symbolic link inside a directory tree is refused (store one with -l NAME=TARGET, or its target's contents with NAME=HOSTPATH)", chost);
        add_tree(cname, chost, &cst);
        free(cname);
        free(chost);
    }
    closedir(d);
}

/* Adds host (already stat'ed) as name: a file, or a directory and its tree. */
static void add_tree(const char *name, const char *host, const struct stat *st)
{
    uint32_t mode = st->st_mode & AE_IMAGE_MODE_MASK;
    if (S_ISREG(st->st_mode)) {
        uint64_t size;
        uint8_t *data = read_host_file(host, &size);
        if (imgb_add_file(builder, name, mode, data, size, why, sizeof why))
            die("%s", why);
        free(data);
    } else if (S_ISDIR(st->st_mode)) {
        if (imgb_add_dir(builder, name, mode, why, sizeof why))
            die("%s", why);
        add_dir_contents(name, host);
    } else {
        die("%s: not a regular file or directory", host);
    }
}

static void add_spec(const char *spec, const char *cdir)
{
    const char *eq = strchr(spec, '=');
    char *name = eq ? strndup(spec, eq - spec) : strdup(spec);
    const char *rel = eq ? eq + 1 : spec;
    if (!name)
        die("out of memory");
    if (!*rel)
        die("'%s': no host path after '='", spec);
    char *host;
    if (rel[0] == '/' || !cdir) {
        host = strdup(rel);
    } else if (asprintf(&host, "%s/%s", cdir, rel) < 0) {
        host = NULL;
    }
    if (!host)
        die("out of memory");
    struct stat st;
    if (stat(host, &st) < 0)
        die("%s: %s", host, strerror(errno));
    add_tree(name, host, &st);
    free(name);
    free(host);
}

static void write_all(const char *out, const uint8_t *buf, uint64_t len)
{
    char *tmp;
    if (asprintf(&tmp, "%s.tmp.%d", out, (int)getpid()) < 0)
        die("out of memory");
    FILE *f = fopen(tmp, "wb");
    if (!f)
        die("%s: %s", tmp, strerror(errno));
    if (fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        unlink(tmp);
        die("%s: write failed: %s", tmp, strerror(errno));
    }
    if (rename(tmp, out) < 0) {
        unlink(tmp);
        die("%s: %s", out, strerror(errno));
    }
    free(tmp);
}

/* Prints a path with non-printable bytes as \xNN, so any name is visible. */
static void print_path(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c >= 0x7f || c == '\\')
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

static int list_image(const char *path)
{
    uint64_t len;
    uint8_t *buf = read_host_file(path, &len);
    struct img img;
    struct img_error err;
    if (img_open(&img, buf, len, &err)) {
        if (err.entry < 0)
            die("%s: invalid image: header field %s: %s", path, err.field, err.reason);
        die("%s: invalid image: entry %lld, field %s: %s", path, (long long)err.entry,
            err.field, err.reason);
    }
    printf("%s: %u entries, %llu bytes\n", path, img.count, (unsigned long long)img.size);
    for (uint32_t i = 0; i < img.count; i++) {
        struct img_file f;
        img_get(&img, i, &f);
        printf("%-4s %04o %12llu %12llu  ",
               f.type == AE_IMAGE_DIR ? "dir" : f.type == AE_IMAGE_SYMLINK ? "link" : "file", f.mode,
               (unsigned long long)f.size, (unsigned long long)f.data_offset);
        print_path(f.path, f.path_len);
        if (f.type == AE_IMAGE_SYMLINK) {
            fputs(" -> ", stdout);
            print_path((const char *)f.data, f.size);
        }
        putchar('\n');
    }
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *cdir = NULL;
    if (argc == 1) {
        fputs(usage, stderr);
        return 2;
    }
    builder = imgb_new();
    if (!builder)
        die("out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_arg = !strcmp(a, "-o") || !strcmp(a, "-C") || !strcmp(a, "-d") ||
                       !strcmp(a, "-l") || !strcmp(a, "--list");
        if (has_arg && i + 1 >= argc)
            die("%s needs an argument (see --help)", a);
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
            return list_image(argv[i + 1]);
        } else if (!strcmp(a, "-o")) {
            out = argv[++i];
        } else if (!strcmp(a, "-C")) {
            cdir = argv[++i];
        } else if (!strcmp(a, "-d")) {
            if (imgb_add_dir(builder, argv[++i], 0755, why, sizeof why))
                die("%s", why);
        } else if (!strcmp(a, "-l")) {
            const char *spec = argv[++i], *eq = strchr(spec, '=');
            if (!eq)
                die("-l '%s': give NAME=TARGET", spec);
            char *name = strndup(spec, (size_t)(eq - spec));
            if (!name)
                die("out of memory");
            if (imgb_add_link(builder, name, eq + 1, strlen(eq + 1), why, sizeof why))
                die("%s", why);
            free(name);
        } else if (a[0] == '-' && a[1]) {
            die("unknown option '%s' (see --help)", a);
        } else {
            add_spec(a, cdir);
        }
    }
    if (!out)
        die("no output file: give -o OUT (see --help)");
    uint8_t *buf;
    uint64_t len;
    if (imgb_finish(builder, &buf, &len, why, sizeof why))
        die("%s", why);
    struct img img;
    struct img_error err;
    if (img_open(&img, buf, len, &err))        /* a builder bug, never the user's input */
        die("internal error: built an invalid image (entry %lld, %s: %s)",
            (long long)err.entry, err.field, err.reason);
    write_all(out, buf, len);
    free(buf);
    imgb_free(builder);
    return 0;
}
