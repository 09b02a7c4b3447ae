/*
 * test_image.c — host tests of the image archive validator (lib/image):
 * archives built by tools/imgbuild are accepted and read back exactly;
 * archives truncated at every length, with bad header fields, bad offsets,
 * overlapping data, duplicate, unsorted or malformed names are refused
 * with an error naming the entry and the field. Symbolic links: read back,
 * each bad target refused, never a parent; img_resolve follows them inside
 * a root the way the fs does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/image.h>
#include "img.h"
#include "imgbuild.h"
#include "check_more.h"

static char why[512];

/* A good archive with files in nested directories, an empty file, an empty dir. */
static uint8_t *good_image(uint64_t *len)
{
    struct imgb *b = imgb_new();
    static char big[10000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    CHECK(imgb_add_file(b, "bin/hello", 0755, "hello\n", 6, why, sizeof why) == 0);
    CHECK(imgb_add_file(b, "etc/config", 0644, big, sizeof big, why, sizeof why) == 0);
    CHECK(imgb_add_file(b, "etc/empty", 0600, NULL, 0, why, sizeof why) == 0);
    CHECK(imgb_add_dir(b, "var/tmp", 01777, why, sizeof why) == 0);
    CHECK(imgb_add_file(b, "./a//b/./c", 0644, "c", 1, why, sizeof why) == 0);
    CHECK(imgb_add_file(b, "a!", 0644, "x", 1, why, sizeof why) == 0);
    uint8_t *out = NULL;
    CHECK(imgb_finish(b, &out, len, why, sizeof why) == 0);
    imgb_free(b);
    return out;
}

static void image_good_archive_reads_back(void)
{
    uint64_t len;
    uint8_t *buf = good_image(&len);
    struct img img;
    struct img_error err;
    CHECK_EQ(img_open(&img, buf, len, &err), 0);
    /* a, a/b, a/b/c, a!, bin, bin/hello, etc, etc/config, etc/empty, var, var/tmp */
    CHECK_EQ(img.count, 11);
    int64_t i = img_lookup(&img, "etc/config", 10);
    CHECK(i >= 0);
    struct img_file f;
    img_get(&img, (uint32_t)i, &f);
    CHECK_EQ(f.type, AE_IMAGE_FILE);
    CHECK_EQ(f.mode, 0644);
    CHECK_EQ(f.size, 10000);
    CHECK_EQ(f.data_offset % AE_IMAGE_ALIGN, 0);
    CHECK_EQ(f.data[9999], (uint8_t)(9999 * 7));
    i = img_lookup(&img, "a/b/c", 5);
    img_get(&img, (uint32_t)i, &f);
    CHECK_EQ(f.size, 1);
    CHECK_EQ(f.data[0], 'c');
    i = img_lookup(&img, "var/tmp", 7);
    img_get(&img, (uint32_t)i, &f);
    CHECK_EQ(f.type, AE_IMAGE_DIR);
    CHECK_EQ(f.mode, 01777);
    i = img_lookup(&img, "bin", 3);
    img_get(&img, (uint32_t)i, &f);
    CHECK_EQ(f.mode, 0755);                         /* an added parent */
    i = img_lookup(&img, "etc/empty", 9);
    img_get(&img, (uint32_t)i, &f);
    CHECK(f.data == NULL && f.size == 0);
    CHECK_RC(img_lookup(&img, "etc/nothing", 11), AE_ENOENT);
    CHECK_RC(img_lookup(&img, "etc/", 4), AE_ENOENT);
    free(buf);
}

static void image_subtree_is_contiguous(void)
{
    uint64_t len;
    uint8_t *buf = good_image(&len);
    struct img img;
    CHECK_EQ(img_open(&img, buf, len, NULL), 0);
    uint32_t first, end;
    img_subtree(&img, "a", 1, &first, &end);        /* a/b and a/b/c, not a! */
    CHECK_EQ(end - first, 2);
    struct img_file f;
    img_get(&img, first, &f);
    CHECK(f.path_len == 3 && !memcmp(f.path, "a/b", 3));
    img_subtree(&img, "etc", 3, &first, &end);
    CHECK_EQ(end - first, 2);
    img_subtree(&img, "", 0, &first, &end);
    CHECK_EQ(end - first, img.count);
    img_subtree(&img, "bin/hello", 9, &first, &end);
    CHECK_EQ(end - first, 0);
    img_subtree(&img, "nothing", 7, &first, &end);
    CHECK_EQ(end - first, 0);
    free(buf);
}

static void image_build_is_deterministic(void)
{
    uint64_t l1, l2;
    uint8_t *a = good_image(&l1), *b = good_image(&l2);
    CHECK_EQ(l1, l2);
    CHECK(l1 == l2 && memcmp(a, b, l1) == 0);
    free(a);
    free(b);
}

static void image_empty_archive_is_valid(void)
{
    struct imgb *b = imgb_new();
    uint8_t *out;
    uint64_t len;
    CHECK_EQ(imgb_finish(b, &out, &len, why, sizeof why), 0);
    struct img img;
    CHECK_EQ(img_open(&img, out, len, NULL), 0);
    CHECK_EQ(img.count, 0);
    CHECK_EQ(len, 4096);
    imgb_free(b);
    free(out);
}

static void image_truncated_at_every_length(void)
{
    uint64_t len;
    uint8_t *buf = good_image(&len);
    for (uint64_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, buf, n);
        struct img img;
        struct img_error err;
        int r = img_open(&img, cut, n, &err);
        CHECK_RC(r, AE_ERANGE);
        free(cut);
        if (!host_test_ok)
            break;
    }
    free(buf);
}

/* ---- hand-made archives, laid out exactly as told -------------------- */

struct raw {
    const char *path;
    size_t len;               /* 0: strlen(path) */
    uint8_t type;
    uint64_t size;
};

static struct ae_image_header *H(uint8_t *buf) { return (struct ae_image_header *)buf; }
static struct ae_image_entry *E(uint8_t *buf, int i)
{
    return (struct ae_image_entry *)(buf + sizeof(struct ae_image_header)) + i;
}

static uint64_t up(uint64_t x) { return (x + 4095) & ~4095ull; }

static uint8_t *raw_build(const struct raw *r, int n, uint64_t *len)
{
    struct ae_image_header h = { .magic = AE_IMAGE_MAGIC, .version = AE_IMAGE_VERSION,
        .header_size = 64, .entry_size = 32, .entry_count = (uint32_t)n, .entries_offset = 64 };
    h.strtab_offset = 64 + 32ull * n;
    for (int i = 0; i < n; i++)
        h.strtab_size += r[i].len ? r[i].len : strlen(r[i].path);
    h.data_offset = up(h.strtab_offset + h.strtab_size);
    uint64_t end = h.data_offset;
    for (int i = 0; i < n; i++)
        if (r[i].size)
            end = up(end) + r[i].size;
    h.total_size = up(end);
    uint8_t *buf = aligned_alloc(4096, h.total_size);
    memset(buf, 0xa5, h.total_size);
    memcpy(buf, &h, sizeof h);
    uint64_t str = 0, data = h.data_offset;
    for (int i = 0; i < n; i++) {
        size_t l = r[i].len ? r[i].len : strlen(r[i].path);
        struct ae_image_entry e = { .path_offset = (uint32_t)str, .path_len = (uint16_t)l,
                                    .type = r[i].type, .mode = 0644, .size = r[i].size };
        memcpy(buf + h.strtab_offset + str, r[i].path, l);
        str += l;
        if (r[i].size) {
            e.data_offset = data = up(data);
            data += r[i].size;
        }
        *E(buf, i) = e;
    }
    *len = h.total_size;
    return buf;
}

/* Expects img_open to refuse with code, naming entry (-1: header) and field. */
static void expect_bad(uint8_t *buf, uint64_t len, int code, int64_t entry, const char *field)
{
    struct img img;
    struct img_error err = { 0, 0, NULL, NULL };
    int r = img_open(&img, buf, len, &err);
    CHECK_RC(r, code);
    CHECK_RC(err.code, code);
    CHECK_RC(err.entry, entry);
    CHECK_STR(err.field, field);
    CHECK(err.reason && err.reason[0]);
}

static const struct raw two[] = {
    { "d", 0, AE_IMAGE_DIR, 0 }, { "d/f", 0, AE_IMAGE_FILE, 5000 }, { "g", 0, AE_IMAGE_FILE, 10 },
};

static void image_raw_builder_is_valid(void)
{
    uint64_t len;
    uint8_t *b = raw_build(two, 3, &len);
    struct img img;
    CHECK_EQ(img_open(&img, b, len, NULL), 0);
    CHECK_EQ(img_open(&img, b, len + 4096, NULL), 0);  /* padding after total_size is fine */
    free(b);
}

static void image_bad_header_fields(void)
{
    uint64_t len;
    uint8_t *b;
#define HDR_CASE(stmt, code, field) do { b = raw_build(two, 3, &len); stmt; \
        expect_bad(b, len, code, -1, field); free(b); } while (0)
    HDR_CASE(H(b)->magic ^= 1, AE_EINVAL, "magic");
    HDR_CASE(H(b)->version = 2, AE_EINVAL, "version");
    HDR_CASE(H(b)->header_size = 72, AE_EINVAL, "header_size");
    HDR_CASE(H(b)->entry_size = 16, AE_EINVAL, "entry_size");
    HDR_CASE(H(b)->total_size += 4096, AE_ERANGE, "total_size");
    HDR_CASE(H(b)->total_size = UINT64_MAX, AE_ERANGE, "total_size");
    HDR_CASE(H(b)->total_size -= 1, AE_EINVAL, "total_size");
    HDR_CASE(H(b)->total_size = 0, AE_EINVAL, "total_size");
    HDR_CASE(H(b)->entries_offset = 128, AE_EINVAL, "entries_offset");
    HDR_CASE(H(b)->entry_count = UINT32_MAX, AE_ERANGE, "entry_count");
    HDR_CASE(H(b)->entry_count = 2, AE_EINVAL, "strtab_offset");
    HDR_CASE(H(b)->strtab_offset = UINT64_MAX - 10, AE_EINVAL, "strtab_offset");
    HDR_CASE(H(b)->strtab_size = UINT64_MAX, AE_ERANGE, "strtab_size");
    HDR_CASE(H(b)->strtab_size = len, AE_ERANGE, "strtab_size");
    HDR_CASE(H(b)->data_offset = 0, AE_EINVAL, "data_offset");
    HDR_CASE(H(b)->data_offset += 4096, AE_EINVAL, "data_offset");
#undef HDR_CASE
}

static void image_bad_entry_fields(void)
{
    uint64_t len;
    uint8_t *b;
#define ENT_CASE(i, stmt, code, field) do { b = raw_build(two, 3, &len); stmt; \
        expect_bad(b, len, code, i, field); free(b); } while (0)
    ENT_CASE(0, E(b, 0)->type = 0, AE_EINVAL, "type");
    ENT_CASE(2, E(b, 2)->type = 4, AE_EINVAL, "type");
    ENT_CASE(2, E(b, 2)->type = AE_IMAGE_SYMLINK, AE_EINVAL, "mode");  /* a file turned link */
    ENT_CASE(1, E(b, 1)->flags = 1, AE_EINVAL, "flags");
    ENT_CASE(1, E(b, 1)->reserved = 1, AE_EINVAL, "reserved");
    ENT_CASE(2, E(b, 2)->mode = 010000, AE_EINVAL, "mode");
    ENT_CASE(1, E(b, 1)->path_len = 0, AE_EINVAL, "path_len");
    ENT_CASE(1, E(b, 1)->path_len = 4097, AE_EINVAL, "path_len");
    ENT_CASE(2, E(b, 2)->path_len = 2, AE_ERANGE, "path_offset");
    ENT_CASE(1, E(b, 1)->path_offset = UINT32_MAX, AE_ERANGE, "path_offset");
    ENT_CASE(0, E(b, 0)->size = 1, AE_EINVAL, "size");
    ENT_CASE(0, E(b, 0)->data_offset = 4096, AE_EINVAL, "data_offset");
    /* data: misaligned, inside the metadata, past the end, overflowing */
    ENT_CASE(1, E(b, 1)->data_offset += 1, AE_EINVAL, "data_offset");
    ENT_CASE(1, E(b, 1)->data_offset = 0, AE_ERANGE, "data_offset");
    ENT_CASE(1, E(b, 1)->size = len, AE_ERANGE, "size");
    ENT_CASE(1, E(b, 1)->size = UINT64_MAX, AE_ERANGE, "size");
    ENT_CASE(2, E(b, 2)->data_offset = UINT64_MAX & ~4095ull, AE_ERANGE, "size");
    ENT_CASE(2, E(b, 2)->size = 0, AE_EINVAL, "data_offset");
    /* overlapping: g's data placed on d/f's last page */
    ENT_CASE(2, E(b, 2)->data_offset = E(b, 1)->data_offset + 4096, AE_ERANGE, "data_offset");
    ENT_CASE(2, E(b, 2)->data_offset = E(b, 1)->data_offset, AE_ERANGE, "data_offset");
#undef ENT_CASE
}

static void image_bad_names_refused(void)
{
    static const char *bad[] = {
        "/a", "a/", "a//b", ".", "..", "a/./b", "a/../b", "./a", "a/..",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct raw r[] = { { bad[i], 0, AE_IMAGE_FILE, 1 } };
        uint64_t len;
        uint8_t *b = raw_build(r, 1, &len);
        expect_bad(b, len, AE_EINVAL, 0, "path");
        free(b);
    }
    struct raw nul[] = { { "a\0b", 3, AE_IMAGE_FILE, 1 } };
    uint64_t len;
    uint8_t *b = raw_build(nul, 1, &len);
    expect_bad(b, len, AE_EINVAL, 0, "path");
    free(b);
    char name[300];
    memset(name, 'n', sizeof name);
    name[256] = 0;                                   /* 256 bytes: one too many */
    struct raw longname[] = { { name, 0, AE_IMAGE_FILE, 0 } };
    b = raw_build(longname, 1, &len);
    expect_bad(b, len, AE_EINVAL, 0, "path");
    free(b);
    name[255] = 0;                                   /* 255 bytes: allowed */
    b = raw_build(longname, 1, &len);
    struct img img;
    CHECK_EQ(img_open(&img, b, len, NULL), 0);
    free(b);
}

static void image_names_may_hold_any_other_byte(void)
{
    struct raw r[] = { { "\xff\x01 \x7f", 0, AE_IMAGE_FILE, 3 } };
    uint64_t len;
    uint8_t *b = raw_build(r, 1, &len);
    struct img img;
    CHECK_EQ(img_open(&img, b, len, NULL), 0);
    CHECK_EQ(img_lookup(&img, "\xff\x01 \x7f", 4), 0);
    free(b);
}

static void image_duplicates_and_order_refused(void)
{
    uint64_t len;
    struct raw dup[] = { { "a", 0, AE_IMAGE_FILE, 0 }, { "a", 0, AE_IMAGE_FILE, 0 } };
    uint8_t *b = raw_build(dup, 2, &len);
    expect_bad(b, len, AE_EINVAL, 1, "path");
    free(b);
    struct raw dupdir[] = { { "a", 0, AE_IMAGE_DIR, 0 }, { "a", 0, AE_IMAGE_FILE, 0 } };
    b = raw_build(dupdir, 2, &len);
    expect_bad(b, len, AE_EINVAL, 1, "path");
    free(b);
    struct raw unsorted[] = { { "b", 0, AE_IMAGE_FILE, 0 }, { "a", 0, AE_IMAGE_FILE, 0 } };
    b = raw_build(unsorted, 2, &len);
    expect_bad(b, len, AE_EINVAL, 1, "path");
    free(b);
    /* '/' sorts below '!': "a/x" must come before "a!" */
    struct raw slash[] = { { "a", 0, AE_IMAGE_DIR, 0 }, { "a!", 0, AE_IMAGE_FILE, 0 },
                           { "a/x", 0, AE_IMAGE_FILE, 0 } };
    b = raw_build(slash, 3, &len);
    expect_bad(b, len, AE_EINVAL, 2, "path");
    free(b);
}

static void image_parents_required(void)
{
    uint64_t len;
    struct raw orphan[] = { { "a/b", 0, AE_IMAGE_FILE, 0 } };
    uint8_t *b = raw_build(orphan, 1, &len);
    expect_bad(b, len, AE_EINVAL, 0, "path");
    free(b);
    struct raw fileparent[] = { { "a", 0, AE_IMAGE_FILE, 0 }, { "a/b", 0, AE_IMAGE_FILE, 0 } };
    b = raw_build(fileparent, 2, &len);
    expect_bad(b, len, AE_EINVAL, 1, "path");
    free(b);
    struct raw grand[] = { { "a", 0, AE_IMAGE_DIR, 0 }, { "a/b/c", 0, AE_IMAGE_FILE, 0 } };
    b = raw_build(grand, 2, &len);
    expect_bad(b, len, AE_EINVAL, 1, "path");
    free(b);
}

static void image_builder_refuses_bad_input(void)
{
    struct imgb *b = imgb_new();
    CHECK_RC(imgb_add_file(b, "a/../b", 0644, "", 0, why, sizeof why), -1);
    CHECK(strstr(why, "'..'") != NULL);
    CHECK_RC(imgb_add_file(b, "//./", 0644, "", 0, why, sizeof why), -1);
    CHECK(strstr(why, "empty") != NULL);
    char name[300];
    memset(name, 'x', 256);
    name[256] = 0;
    CHECK_RC(imgb_add_dir(b, name, 0755, why, sizeof why), -1);
    CHECK(strstr(why, "name too long") != NULL);
    CHECK_EQ(imgb_add_file(b, "f", 0644, "1", 1, why, sizeof why), 0);
    CHECK_EQ(imgb_add_file(b, "./f", 0600, "2", 1, why, sizeof why), 0);
    uint8_t *out;
    uint64_t len;
    CHECK_RC(imgb_finish(b, &out, &len, why, sizeof why), -1);
    CHECK(strstr(why, "duplicate path 'f'") != NULL);
    imgb_free(b);
    b = imgb_new();
    CHECK_EQ(imgb_add_file(b, "f", 0644, "1", 1, why, sizeof why), 0);
    CHECK_EQ(imgb_add_file(b, "f/g", 0644, "1", 1, why, sizeof why), 0);
    CHECK_RC(imgb_finish(b, &out, &len, why, sizeof why), -1);
    CHECK(strstr(why, "'f' is a file") != NULL);
    imgb_free(b);
}

/* ---- symbolic links -------------------------------------------------- */

/* files/bin/{busybox,sh -> busybox,ls -> /bin/busybox}, loops, a dangling
 * link, one climbing out with "..", one through a directory link. */
static uint8_t *link_image(uint64_t *len)
{
    struct imgb *b = imgb_new();
    CHECK(b != NULL);
#define LNK(p, t) CHECK_EQ(imgb_add_link(b, p, t, strlen(t), why, sizeof why), 0)
    CHECK_EQ(imgb_add_file(b, "config", 0644, "x", 1, why, sizeof why), 0);
    CHECK_EQ(imgb_add_file(b, "files/bin/busybox", 0755, "ELF", 3, why, sizeof why), 0);
    CHECK_EQ(imgb_add_file(b, "outside", 0644, "no", 2, why, sizeof why), 0);
    LNK("files/bin/sh", "busybox");
    LNK("files/bin/ls", "/bin/busybox");
    LNK("files/bin/up", "../../../../outside");
    LNK("files/bin/abs", "/../../outside");
    LNK("files/loop1", "loop2");
    LNK("files/loop2", "/loop1");
    LNK("files/self", "self");
    LNK("files/dangling", "/no/such/file");
    LNK("files/usrbin", "bin/");
    LNK("files/sbin", "usrbin/.//");
#undef LNK
    uint8_t *out;
    CHECK_EQ(imgb_finish(b, &out, len, why, sizeof why), 0);
    imgb_free(b);
    return out;
}

static void image_links_read_back(void)
{
    uint64_t len;
    uint8_t *buf = link_image(&len);
    struct img img;
    struct img_error err;
    CHECK_EQ(img_open(&img, buf, len, &err), 0);
    int64_t i = img_lookup(&img, "files/bin/ls", 12);
    CHECK(i >= 0);
    struct img_file f;
    img_get(&img, (uint32_t)i, &f);
    CHECK_EQ(f.type, AE_IMAGE_SYMLINK);
    CHECK_EQ(f.mode, 0777);
    CHECK_EQ(f.size, 12);
    CHECK(memcmp(f.data, "/bin/busybox", 12) == 0);
    CHECK(f.data >= buf + H(buf)->strtab_offset &&
          f.data + f.size <= buf + H(buf)->strtab_offset + H(buf)->strtab_size);
    /* links take no data pages: the archive is header+strings, and two files' pages */
    CHECK_EQ(len, up(H(buf)->data_offset) + 2 * 4096ull + 4096);
    free(buf);
}

static void image_resolve_follows_links_inside_root(void)
{
    uint64_t len;
    uint8_t *buf = link_image(&len);
    struct img img;
    CHECK_EQ(img_open(&img, buf, len, NULL), 0);
    int64_t bb = img_lookup(&img, "files/bin/busybox", 17);
    CHECK(bb >= 0);
#define RES(p) img_resolve(&img, "files", 5, p, strlen(p), 40)
    CHECK_EQ(RES("/bin/busybox"), bb);
    CHECK_EQ(RES("/bin/sh"), bb);
    CHECK_EQ(RES("/bin/ls"), bb);
    CHECK_EQ(RES("bin/./sh"), bb);
    CHECK_EQ(RES("/usrbin/sh"), bb);             /* a directory link, then a relative one */
    CHECK_EQ(RES("/sbin/ls"), bb);               /* two directory links */
    CHECK_EQ(RES("/bin/../bin/sh"), bb);
    CHECK_EQ(RES("/../../bin/sh"), bb);          /* ".." of the root is the root */
    CHECK_RC(RES("/bin/up"), AE_ENOENT);         /* "outside" is outside files/ */
    CHECK_RC(RES("/bin/abs"), AE_ENOENT);
    CHECK_RC(RES("/loop1"), AE_ELOOP);
    CHECK_RC(RES("/self"), AE_ELOOP);
    CHECK_RC(RES("/dangling"), AE_ENOENT);
    CHECK_RC(RES("/bin/busybox/x"), AE_ENOTDIR);
    CHECK_RC(RES("/nothing"), AE_ENOENT);
    CHECK_EQ(img_resolve(&img, "files", 5, "/bin/sh", 7, 1), bb);
    CHECK_RC(img_resolve(&img, "files", 5, "/sbin/sh", 8, 2), AE_ELOOP);   /* the hop limit */
    CHECK_EQ(img_resolve(&img, "files", 5, "/sbin/sh", 8, 3), bb);
    /* from the archive's root, "outside" is reachable and ".." still stops at it */
    CHECK_EQ(img_resolve(&img, "", 0, "files/bin/up", 12, 40), img_lookup(&img, "outside", 7));
    CHECK_RC(img_resolve(&img, "", 0, "/", 1, 40), AE_EISDIR);
    CHECK_RC(img_resolve(&img, "nope", 4, "x", 1, 40), AE_ENOENT);
#undef RES
    free(buf);
}

/* The archive of link_image with entry `path`'s fields changed by stmt. */
#define LINK_CASE(path, stmt, code, field) do { \
        uint64_t len_; uint8_t *b_ = link_image(&len_); struct img im_; \
        CHECK_EQ(img_open(&im_, b_, len_, NULL), 0); \
        int64_t i_ = img_lookup(&im_, path, strlen(path)); CHECK(i_ >= 0); \
        struct ae_image_entry *e = E(b_, (int)i_); (void)e; stmt; \
        expect_bad(b_, len_, code, i_, field); free(b_); } while (0)

static void image_bad_links_refused(void)
{
    LINK_CASE("files/bin/sh", e->size = 0, AE_EINVAL, "size");                   /* empty target */
    LINK_CASE("files/bin/sh", e->size = 4096, AE_EINVAL, "size");                /* over-long */
    LINK_CASE("files/bin/sh", e->size = UINT64_MAX, AE_EINVAL, "size");
    LINK_CASE("files/bin/sh", e->data_offset = H(b_)->strtab_size, AE_ERANGE, "data_offset");
    LINK_CASE("files/bin/sh", e->data_offset = UINT64_MAX - 2, AE_ERANGE, "data_offset");
    LINK_CASE("files/bin/sh", e->data_offset = H(b_)->strtab_size - 1, AE_ERANGE, "data_offset");
    LINK_CASE("files/bin/sh", e->mode = 0755, AE_EINVAL, "mode");
    LINK_CASE("files/bin/sh", e->flags = 1, AE_EINVAL, "flags");
    LINK_CASE("files/bin/sh", b_[H(b_)->strtab_offset + e->data_offset + 2] = 0, AE_EINVAL, "data_offset");
    /* a file whose size would reach past the archive is still refused as a file */
    LINK_CASE("files/bin/busybox", e->type = AE_IMAGE_SYMLINK; e->mode = 0777, AE_ERANGE, "data_offset");
}

static void image_link_is_never_a_parent(void)
{
    uint64_t len;
    struct raw lp[] = { { "a", 0, AE_IMAGE_DIR, 0 }, { "a/b", 0, AE_IMAGE_FILE, 0 } };
    uint8_t *b = raw_build(lp, 2, &len);
    /* "a" becomes a link to the first byte of the string table ("a") */
    E(b, 0)->type = AE_IMAGE_SYMLINK;
    E(b, 0)->mode = 0777;
    E(b, 0)->size = 1;
    struct img img;
    struct img_error err;
    CHECK_RC(img_open(&img, b, len, &err), AE_EINVAL);
    CHECK_RC(err.entry, 1);                      /* a link with children */
    CHECK_STR(err.field, "path");
    CHECK(strstr(err.reason, "symbolic link") != NULL);
    free(b);
    /* the builder refuses the same, naming the link */
    struct imgb *ib = imgb_new();
    CHECK_EQ(imgb_add_link(ib, "l", "d", 1, why, sizeof why), 0);
    CHECK_EQ(imgb_add_file(ib, "l/x", 0644, "1", 1, why, sizeof why), 0);
    uint8_t *out;
    CHECK_RC(imgb_finish(ib, &out, &len, why, sizeof why), -1);
    CHECK(strstr(why, "'l' is a symbolic link") != NULL);
    imgb_free(ib);
    ib = imgb_new();
    CHECK_RC(imgb_add_link(ib, "l", "", 0, why, sizeof why), -1);
    CHECK_RC(imgb_add_link(ib, "l", "a\0b", 3, why, sizeof why), -1);
    char big[4097];
    memset(big, 'x', sizeof big);
    CHECK_RC(imgb_add_link(ib, "l", big, 4096, why, sizeof why), -1);
    CHECK_EQ(imgb_add_link(ib, "l", big, 4095, why, sizeof why), 0);
    CHECK_EQ(imgb_finish(ib, &out, &len, why, sizeof why), 0);
    CHECK_EQ(img_open(&img, out, len, NULL), 0);
    free(out);
    imgb_free(ib);
}

int main(void)
{
    RUN(image_good_archive_reads_back);
    RUN(image_subtree_is_contiguous);
    RUN(image_build_is_deterministic);
    RUN(image_empty_archive_is_valid);
    RUN(image_truncated_at_every_length);
    RUN(image_raw_builder_is_valid);
    RUN(image_bad_header_fields);
    RUN(image_bad_entry_fields);
    RUN(image_bad_names_refused);
    RUN(image_names_may_hold_any_other_byte);
    RUN(image_duplicates_and_order_refused);
    RUN(image_parents_required);
    RUN(image_builder_refuses_bad_input);
    RUN(image_links_read_back);
    RUN(image_resolve_follows_links_inside_root);
    RUN(image_bad_links_refused);
    RUN(image_link_is_never_a_parent);
    return TESTS_DONE();
}
