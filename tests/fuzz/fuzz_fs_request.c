/*
 * fuzz_fs_request.c — libFuzzer target for the fs protocol: the input is
 * a program of requests from two clients whose sessions share an image
 * and a volume, sent through the decoder and performed, with the shared
 * buffer rewritten and allocation failures injected between them. After
 * every request every invariant of both sessions must hold; at the end
 * destroying them must return every page and byte. The image holds
 * symbolic links of its own (a directory link, a loop, one climbing).
 *
 * Input: records of [op][session and word selectors][raw words if asked].
 * op % 32: 0..27 an opcode (0 invalid; 26 CREATE_RESERVED, 27 RESERVE, whose handle values
 * join the recent handles), 28 poke
 * bytes into the buffer, 29 inject a page failure, 30 a metadata failure,
 * 31 advance the clock. Words 6 and 7 (directory handles) come from the
 * recent handles too, so walks start from directories, files and stale
 * values; the paths include links' worth of targets ("../..", "/x").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include "decode.h"
#include "fs_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUFSZ 8192

static uint8_t shared[BUFSZ];
static const char *paths[] = {
    "etc/conf", "x", "x/y", "v/f", "../..//v/./g", "etc", "v", "d/e/f", "etc/big", "x/y/z",
    "", "v/x", "bin/app", "x/../etc/conf", "new", "v/d/", "l", "x/l/y", "/v/l", "..",
    "il/conf", "x/loop", "bin/up/etc/big", "il",                  /* the image's own links */
};
#define NPATHS (sizeof paths / sizeof paths[0])

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t byte(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint64_t raw(struct input *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | byte(in);
    return v;
}

/* A word: mostly values that mean something to the service. */
static uint64_t word(struct input *in, const uint64_t *handles)
{
    uint8_t sel = byte(in);
    switch (sel >> 5) {
    case 0: return sel & 31;                                   /* small numbers, flags */
    case 1: return (sel & 31) % NPATHS * 256;                  /* a path's offset */
    case 2: return strlen(paths[sel % NPATHS]);                /* a path's length */
    case 3: return handles[sel & 7];                           /* a recent handle */
    case 4: return (uint64_t)(sel & 31) * 4096 + (sel & 3);    /* offsets across pages */
    case 5: return FS_O_RDWR | FS_O_CREAT | ((sel & 3) << 5) | (sel & 4 ? FS_O_NOFOLLOW : 0);
    case 6: return 0644;
    default: return raw(in);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    test_env_init(&T);
    static struct fs_image *img;
    static char big[9000];
    memset(big, 'b', sizeof big - 1);
    struct fs_image *im = make_image("etc/conf", "conf=1", "etc/big", big, "bin/app", "app",
                                     "x/", "", "@il", "etc", "@x/loop", "/x/loop", "@bin/up", "../..", NULL);
    img = im;
    struct fs_limits lim = { .data_bytes = 64 * 4096, .inodes = 32, .handles = 16 };
    struct fs_session *s[2];
    struct fs_volume *vol;
    if (fs_session_create(&T.env, img, &lim, 0, &s[0]) ||
        fs_session_create(&T.env, img, &lim, 0, &s[1]) || fs_volume_create(&T.env, &lim, &vol))
        abort();
    fs_session_mount(s[0], P("v"), vol, true);
    fs_session_mount(s[1], P("v"), vol, false);
    fs_volume_put(vol);
    memset(shared, 0, sizeof shared);
    for (size_t i = 0; i < NPATHS; i++)
        memcpy(shared + i * 256, paths[i], strlen(paths[i]));
    struct fs_shbuf sb = { shared, BUFSZ };
    static struct fs_request req;
    struct fs_reply rep;
    uint64_t handles[8] = { 0 };
    unsigned nh = 0;
    struct input in = { data, size };
    for (int steps = 0; in.n && steps < 200; steps++) {
        uint8_t op = byte(&in) % 32, who = byte(&in);
        struct fs_session *c = s[who & 1];
        if (op == 28) {                                        /* the client pokes its buffer */
            uint64_t at = word(&in, handles) % BUFSZ;
            shared[at] = byte(&in);
            continue;
        }
        if (op == 29 || op == 30) {
            (op == 29 ? &T.fail_pages_after : &T.fail_mem_after)[0] = byte(&in) % 8;
            continue;
        }
        if (op == 31) {
            T.clock += byte(&in);
            continue;
        }
        uint64_t w[FS_MSG_WORDS] = { 0 };
        for (int i = 0; i < FS_REQ_WORDS_MAX; i++)
            w[i] = word(&in, handles);
        uint32_t nwords = (who >> 1) & 15;                     /* sometimes too few */
        fs_serve(c, op, w, nwords > FS_REQ_WORDS_MAX ? FS_REQ_WORDS_MAX : nwords, &sb, &req, &rep);
        if (rep.status > 0 || rep.status < AE_ERROR_MIN || (rep.status && rep.nwords))
            abort();
        if ((op == FS_OP_OPEN || op == FS_OP_CREATE_RESERVED) && rep.status == 0)
            handles[nh++ % 8] = rep.w[0];
        if (op == FS_OP_RESERVE && rep.status == 0 && rep.w[FS_R_RESERVE_COUNT])
            handles[nh++ % 8] = rep.w[FS_R_RESERVE_H + who % rep.w[FS_R_RESERVE_COUNT]];   /* for CREATE_RESERVED */
        const char *why;
        T.fail_pages_after = T.fail_mem_after = -1;
        if (fs_session_check(s[0], &why) || fs_session_check(s[1], &why))
            abort();
    }
    fs_session_destroy(s[0]);
    fs_session_destroy(s[1]);
    fs_image_put(img);
    test_archives_free();
    if (T.pages_live || T.mem_live)
        abort();                                               /* something leaked */
    return 0;
}
