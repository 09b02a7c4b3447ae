/*
 * mktar.c — writes tar archives entry by entry for tests/cli/test_aerie.sh,
 * including the ones no well-behaved tool makes: paths with "..", absolute
 * paths, hard links that point outside, device nodes, names longer than
 * any file system allows. Built with libarchive's writer, so the archives
 * are real tars whatever they hold.
 *
 * usage: mktar [-z] OUT ENTRY...
 *   f:PATH:TEXT    a regular file holding TEXT (and a newline)
 *   F:PATH:FILE    a regular file holding the host file FILE (mode 0755)
 *   d:PATH         a directory
 *   l:PATH:TARGET  a symbolic link
 *   h:PATH:TARGET  a hard link to TARGET
 *   c:PATH         a character device (1,3)
 *   -z             gzip it
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    *n = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len >= 0 && (buf = malloc((size_t)len + 1)) && fread(buf, 1, (size_t)len, f) == (size_t)len)
        *n = (size_t)len;
    fclose(f);
    return buf;
}

static int add(struct archive *a, char *spec)
{
    char kind = spec[0], *path = spec + 2, *arg = strchr(path, ':');
    if (spec[1] != ':')
        return -1;
    if (arg && kind != 'd' && kind != 'c')
        *arg++ = 0;
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_perm(e, kind == 'F' ? 0755 : 0644);
    const char *data = NULL;
    char *owned = NULL;
    size_t n = 0;
    char text[4096];
    switch (kind) {
    case 'f':
        n = (size_t)snprintf(text, sizeof text, "%s\n", arg ? arg : "");
        data = text;
        archive_entry_set_filetype(e, AE_IFREG);
        break;
    case 'F':
        data = owned = slurp(arg ? arg : "", &n);
        if (!data)
            return -1;
        archive_entry_set_filetype(e, AE_IFREG);
        break;
    case 'd':
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
        break;
    case 'l':
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, arg ? arg : "");
        break;
    case 'h':
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, arg ? arg : "");
        break;
    case 'c':
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdevmajor(e, 1);
        archive_entry_set_rdevminor(e, 3);
        break;
    default:
        return -1;
    }
    archive_entry_set_size(e, (la_int64_t)n);
    int r = archive_write_header(a, e) == ARCHIVE_OK &&
            (!n || archive_write_data(a, data, n) == (la_ssize_t)n) ? 0 : -1;
    archive_entry_free(e);
    free(owned);
    return r;
}

int main(int argc, char **argv)
{
    int i = 1;
    bool gz = argc > 1 && !strcmp(argv[1], "-z");
    i += gz;
    if (argc - i < 1) {
        fprintf(stderr, "usage: mktar [-z] OUT ENTRY...\n");
        return 2;
    }
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gz)
        archive_write_add_filter_gzip(a);
    if (archive_write_open_filename(a, argv[i]) != ARCHIVE_OK) {
        fprintf(stderr, "mktar: %s\n", archive_error_string(a));
        return 1;
    }
    for (int k = i + 1; k < argc; k++) {
        if (add(a, argv[k])) {
            fprintf(stderr, "mktar: cannot add '%s': %s\n", argv[k], archive_error_string(a));
            return 1;
        }
    }
    archive_write_close(a);
    archive_write_free(a);
    return 0;
}
