/*
 * test_imgtree.c — an image's root built from layers (tools/imgtree.c):
 * layers apply in order, whiteouts and opaque directories hide only what
 * lower layers made, and every way out of the root or past the format's
 * limits is refused naming the layer and the entry; the archive laid out
 * at the end is one lib/image accepts. Symbolic links are stored with
 * their targets; entries below a link of a lower layer land where it
 * leads inside the root (as Docker/containerd unpack), whiteouts remove a
 * link itself, loops are refused by a hop limit.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include "image/img.h"
#include "imgtree.h"
#include "check_more.h"

static char err[400];

/* A tar in memory from specs as tests/cli/mktar takes them: f:PATH:TEXT,
 * d:PATH, l:PATH:TARGET, h:PATH:TARGET, c:PATH. */
static uint8_t *tar_of(size_t *len, const char *const *specs, unsigned n)
{
    static uint8_t buf[1 << 20];
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open_memory(a, buf, sizeof buf, len);
    for (unsigned i = 0; i < n; i++) {
        static char spec[8192];
        snprintf(spec, sizeof spec, "%s", specs[i]);
        char kind = spec[0], *path = spec + 2, *arg = kind == 'd' || kind == 'c' ? NULL : strchr(path, ':');
        if (arg)
            *arg++ = 0;
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, path);
        archive_entry_set_perm(e, 0644);
        size_t size = kind == 'f' ? strlen(arg) : 0;
        archive_entry_set_filetype(e, kind == 'd' ? AE_IFDIR : kind == 'l' ? AE_IFLNK : kind == 'c' ? AE_IFCHR : AE_IFREG);
        if (kind == 'l')
            archive_entry_set_symlink(e, arg);
        if (kind == 'h')
            archive_entry_set_hardlink(e, arg);
        archive_entry_set_size(e, (la_int64_t)size);
        archive_write_header(a, e);
        if (size)
            archive_write_data(a, arg, size);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return buf;
}

#define LAYER(t, no, ...) apply((t), (no), (const char *const[]){ __VA_ARGS__ }, \
                                sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))
static int apply(struct imgtree *t, unsigned layer, const char *const *specs, unsigned n)
{
    size_t len;
    uint8_t *tar = tar_of(&len, specs, n);
    err[0] = 0;
    return imgtree_apply_layer(t, tar, len, layer, err, sizeof err);
}

/* Lays the tree out and looks path up in the archive: its size, or -1. */
static int64_t archived(struct imgtree *t, const char *path)
{
    uint8_t *out;
    uint64_t len;
    unsigned links;
    struct img img;
    if (imgtree_archive(t, "cmd=/x\n", &out, &len, &links, err, sizeof err) || img_open(&img, out, len, NULL)) {
        free(out);
        return -2;
    }
    int64_t i = img_lookup(&img, path, strlen(path)), size = -1;
    if (i >= 0) {
        struct img_file f;
        img_get(&img, (uint32_t)i, &f);
        size = (int64_t)f.size;
    }
    free(out);
    return size;
}

static void imgtree_layers_in_order(void)
{
    struct imgtree *t = imgtree_new(1 << 20);
    CHECK_EQ(LAYER(t, 1, "d:bin", "f:bin/a:one", "f:etc/conf:x", "d:./usr/"), 0);
    CHECK_EQ(LAYER(t, 2, "f:bin/a:second", "f:bin/b:new"), 0);
    CHECK_EQ(archived(t, "files/bin/a"), 6);
    CHECK_EQ(archived(t, "files/bin/b"), 3);
    CHECK_EQ(archived(t, "files/etc/conf"), 1);     /* its directory made on the way */
    CHECK(archived(t, "files/usr") == 0);           /* a directory */
    CHECK(imgtree_is_file(t, "/bin/a") && !imgtree_is_file(t, "/bin") && !imgtree_is_file(t, "/nope"));
    imgtree_free(t);
}

static void imgtree_whiteouts_hide_lower_layers_only(void)
{
    struct imgtree *t = imgtree_new(1 << 20);
    CHECK_EQ(LAYER(t, 1, "f:a/gone:x", "f:a/kept:x", "f:d/old:x", "f:d/sub/older:x"), 0);
    CHECK_EQ(LAYER(t, 2, "f:a/.wh.gone:", "f:d/new:y", "f:d/.wh..wh..opq:", "f:a/.wh.nothing:"), 0);
    CHECK_EQ(archived(t, "files/a/gone"), -1);
    CHECK_EQ(archived(t, "files/a/kept"), 1);
    CHECK_EQ(archived(t, "files/d/old"), -1);
    CHECK_EQ(archived(t, "files/d/sub"), -1);
    CHECK_EQ(archived(t, "files/d/new"), 1);        /* same layer as the opaque marker: stays */
    CHECK_EQ(LAYER(t, 3, "f:x/.wh.y:", "f:.wh.a:"), 0);   /* a directory that is not there; a whole one */
    CHECK_EQ(archived(t, "files/a"), -1);
    imgtree_free(t);
}

static void imgtree_escapes_refused(void)
{
    static const struct { const char *spec, *why; } bad[] = {
        { "f:../up:x", "layer 1: '../up' leaves the root" },
        { "f:a/../../up:x", "leaves the root" },
        { "f:/etc/abs:x", "'/etc/abs' is an absolute path" },
        { "h:b:../../etc/passwd", "the hard link 'b' points outside the root" },
        { "h:b:nothing", "points to 'nothing', which is not a file of the image" },
        { "c:dev/null", "'dev/null' is a device node" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct imgtree *t = imgtree_new(1 << 20);
        CHECK_EQ(LAYER(t, 1, "f:ok:x", bad[i].spec), (unsigned long long)-1);
        CHECK(strstr(err, bad[i].why) != NULL);
        imgtree_free(t);
    }
    struct imgtree *t = imgtree_new(1 << 20);
    CHECK_EQ(LAYER(t, 1, "l:evil:/etc", "f:ok:x", "l:up:../../../..", "l:tofile:ok"), 0);
    /* through a link, a layer later: it lands inside the root, never on the host */
    CHECK_EQ(LAYER(t, 2, "f:evil/passwd:x", "f:up/up/escaped:y"), 0);
    CHECK_EQ(archived(t, "files/etc/passwd"), 1);
    CHECK_EQ(archived(t, "files/escaped"), 1);       /* ".." stops at the root */
    CHECK_EQ(archived(t, "files/evil"), 4);          /* still a link (its target "/etc" is 4 bytes) */
    CHECK_EQ(LAYER(t, 2, "f:tofile/x:x"), (unsigned long long)-1);
    CHECK(strstr(err, "layer 2: 'tofile/x' goes through the symbolic link 'tofile', which leads to a file") != NULL);
    CHECK_EQ(LAYER(t, 2, "f:ok/more:x"), (unsigned long long)-1);
    CHECK(strstr(err, "needs 'ok' to be a directory, but it is a file") != NULL);
    imgtree_free(t);
}

static void imgtree_limits(void)
{
    char name[300] = "f:", big[3000];
    memset(name + 2, 'n', 256);
    strcpy(name + 258, ":x");
    struct imgtree *t = imgtree_new(100);
    CHECK_EQ(LAYER(t, 1, name), (unsigned long long)-1);
    CHECK(strstr(err, "has a name longer than 255 bytes") != NULL);
    snprintf(big, sizeof big, "f:big:%0200d", 0);
    CHECK_EQ(LAYER(t, 1, "f:small:x", big), (unsigned long long)-1);
    CHECK(strstr(err, "larger than the 100 bytes allowed") != NULL);
    CHECK_EQ(LAYER(t, 1, "f:small:0123456789"), 0);
    CHECK_EQ(LAYER(t, 2, "f:small:x"), 0);          /* a replaced file's bytes are freed */
    unsigned files, dirs;
    uint64_t bytes;
    imgtree_counts(t, &files, &dirs, &bytes);
    CHECK_EQ(bytes, 1);
    imgtree_free(t);
}

static void imgtree_not_a_tar(void)
{
    struct imgtree *t = imgtree_new(1 << 20);
    static const uint8_t noise[600] = { 1, 2, 3, 0xff, 0x1f, 0x8b };
    CHECK_EQ(imgtree_apply_layer(t, noise, sizeof noise, 4, err, sizeof err), (unsigned long long)-1);
    CHECK(strstr(err, "layer 4: ") != NULL);
    size_t len;
    uint8_t *tar = tar_of(&len, (const char *const[]){ "f:a:0123456789abcdef" }, 1);
    CHECK_EQ(imgtree_apply_layer(t, tar, 600, 1, err, sizeof err), (unsigned long long)-1);   /* cut short */
    imgtree_free(t);
}

/* The archive entry at path: its type and (for a link) target, or 0. */
static int entry_of(struct imgtree *t, const char *path, char *target, size_t cap)
{
    uint8_t *out;
    uint64_t len;
    unsigned links;
    struct img img;
    int type = 0;
    target[0] = 0;
    if (imgtree_archive(t, "cmd=/x\n", &out, &len, &links, err, sizeof err) || img_open(&img, out, len, NULL)) {
        free(out);
        return -1;
    }
    int64_t i = img_lookup(&img, path, strlen(path));
    if (i >= 0) {
        struct img_file f;
        img_get(&img, (uint32_t)i, &f);
        type = f.type;
        if (f.type == AE_IMAGE_SYMLINK)
            snprintf(target, cap, "%.*s", (int)f.size, (const char *)f.data);
    }
    free(out);
    return type;
}

static void imgtree_links_stored_with_targets(void)
{
    struct imgtree *t = imgtree_new(1 << 20);
    uint8_t *out;
    uint64_t len;
    unsigned links;
    struct img img;
    char tg[4200];
    CHECK_EQ(LAYER(t, 1, "f:bin/busybox:x", "l:bin/sh:busybox", "l:bin/ls:/bin/busybox", "h:c:bin/busybox",
                   "h:bin/hsh:bin/sh", "l:out:../../../etc/shadow"), 0);
    CHECK_EQ(imgtree_archive(t, "cmd=/a\n", &out, &len, &links, err, sizeof err), 0);
    CHECK_EQ(links, 4);
    CHECK_EQ(img_open(&img, out, len, NULL), 0);
    CHECK(img_lookup(&img, "files/c", 7) >= 0 && img_lookup(&img, "config", 6) >= 0);
    free(out);
    CHECK_EQ(entry_of(t, "files/bin/sh", tg, sizeof tg), AE_IMAGE_SYMLINK);
    CHECK_STR(tg, "busybox");
    CHECK_EQ(entry_of(t, "files/bin/ls", tg, sizeof tg), AE_IMAGE_SYMLINK);
    CHECK_STR(tg, "/bin/busybox");
    CHECK_EQ(entry_of(t, "files/out", tg, sizeof tg), AE_IMAGE_SYMLINK);   /* not normalized */
    CHECK_STR(tg, "../../../etc/shadow");
    CHECK_EQ(entry_of(t, "files/bin/hsh", tg, sizeof tg), AE_IMAGE_SYMLINK); /* a hard link to a link */
    CHECK_STR(tg, "busybox");
    CHECK_EQ(entry_of(t, "files/c", tg, sizeof tg), AE_IMAGE_FILE);          /* a hard link: a copy */
    CHECK(imgtree_is_file(t, "/bin/sh") && imgtree_is_file(t, "/bin/ls") && imgtree_is_file(t, "/bin/hsh"));
    CHECK(!imgtree_is_file(t, "/out"));
    imgtree_free(t);
}

static void imgtree_links_across_layers(void)
{
    struct imgtree *t = imgtree_new(1 << 20);
    char tg[64];
    /* Debian: /bin -> usr/bin in layer 1; a later "bin/x" lands in usr/bin */
    CHECK_EQ(LAYER(t, 1, "d:usr/bin", "f:usr/bin/old:o", "l:bin:usr/bin", "l:a:x", "f:b:x", "l:w:b", "d:dir",
                   "f:dir/in:i", "l:lib:usr/lib"), 0);
    CHECK_EQ(LAYER(t, 2, "f:bin/x:xx", "f:lib/y:y"), 0);
    CHECK_EQ(archived(t, "files/usr/bin/x"), 2);
    CHECK_EQ(archived(t, "files/usr/lib/y"), 1);     /* a dangling link's target made (mkdir -p) */
    CHECK_EQ(entry_of(t, "files/bin", tg, sizeof tg), AE_IMAGE_SYMLINK);
    CHECK_EQ(archived(t, "files/bin/x"), -1);
    /* a link replaced by a file, a file by a link, a directory by a link, a link by a directory */
    CHECK_EQ(LAYER(t, 3, "f:a:file", "l:b:a", "l:dir:usr", "d:w"), 0);
    CHECK_EQ(entry_of(t, "files/a", tg, sizeof tg), AE_IMAGE_FILE);
    CHECK_EQ(entry_of(t, "files/b", tg, sizeof tg), AE_IMAGE_SYMLINK);
    CHECK_STR(tg, "a");
    CHECK_EQ(entry_of(t, "files/dir", tg, sizeof tg), AE_IMAGE_SYMLINK);
    CHECK_EQ(archived(t, "files/dir/in"), -1);
    CHECK_EQ(entry_of(t, "files/w", tg, sizeof tg), AE_IMAGE_DIR);
    /* a whiteout of a link removes the link, not what it names; one through a link hides there */
    CHECK_EQ(LAYER(t, 4, "f:.wh.b:", "f:bin/.wh.old:"), 0);
    CHECK_EQ(entry_of(t, "files/b", tg, sizeof tg), 0);
    CHECK_EQ(entry_of(t, "files/a", tg, sizeof tg), AE_IMAGE_FILE);
    CHECK_EQ(archived(t, "files/usr/bin/old"), -1);
    CHECK_EQ(archived(t, "files/usr/bin/x"), 2);
    CHECK_EQ(LAYER(t, 5, "f:bin/new:n", "f:bin/.wh..wh..opq:"), 0);   /* opaque through a link */
    CHECK_EQ(archived(t, "files/usr/bin/x"), -1);
    CHECK_EQ(archived(t, "files/usr/bin/new"), 1);
    CHECK_EQ(entry_of(t, "files/bin", tg, sizeof tg), AE_IMAGE_SYMLINK);
    imgtree_free(t);
}

static void imgtree_bad_links_refused(void)
{
    struct imgtree *t = imgtree_new(1 << 20);
    CHECK_EQ(LAYER(t, 1, "l:loop:loop", "l:l1:l2", "l:l2:/l1/", "l:ok:l1"), 0);   /* loops are fine to store */
    CHECK_EQ(LAYER(t, 2, "f:loop/x:x"), (unsigned long long)-1);
    CHECK(strstr(err, "layer 2: 'loop/x' goes through more than 40 symbolic links") != NULL);
    CHECK_EQ(LAYER(t, 2, "f:ok/x:x"), (unsigned long long)-1);
    CHECK(strstr(err, "more than 40 symbolic links") != NULL);
    CHECK_EQ(LAYER(t, 2, "f:l1/.wh.x:"), (unsigned long long)-1);
    CHECK(strstr(err, "more than 40 symbolic links") != NULL);
    CHECK(!imgtree_is_file(t, "/loop") && !imgtree_is_file(t, "/ok"));
    CHECK_EQ(LAYER(t, 2, "l:empty:"), (unsigned long long)-1);
    CHECK(strstr(err, "the symbolic link 'empty' has an empty target") != NULL);
    static char longlink[4200 + 8] = "l:long:";
    memset(longlink + 7, 'a', 4096);
    CHECK_EQ(LAYER(t, 2, longlink), (unsigned long long)-1);
    CHECK(strstr(err, "an over-long target") != NULL);
    longlink[7 + 4095] = 0;
    CHECK_EQ(LAYER(t, 2, longlink), 0);                                     /* 4095 bytes: fine */
    static char longname[300] = "l:ln:";
    memset(longname + 5, 'n', 260);
    CHECK_EQ(LAYER(t, 3, longname, "f:ln/x:x"), (unsigned long long)-1);
    CHECK(strstr(err, "a name longer than 255 bytes") != NULL);
    imgtree_free(t);
    /* link targets count against the byte limit */
    t = imgtree_new(10);
    CHECK_EQ(LAYER(t, 1, "l:a:0123456789", "l:b:x"), (unsigned long long)-1);
    CHECK(strstr(err, "larger than the 10 bytes allowed") != NULL);
    imgtree_free(t);
}

int main(void)
{
    RUN(imgtree_layers_in_order);
    RUN(imgtree_whiteouts_hide_lower_layers_only);
    RUN(imgtree_escapes_refused);
    RUN(imgtree_limits);
    RUN(imgtree_not_a_tar);
    RUN(imgtree_links_stored_with_targets);
    RUN(imgtree_links_across_layers);
    RUN(imgtree_bad_links_refused);
    return TESTS_DONE();
}
