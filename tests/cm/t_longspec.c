/*
 * t_longspec.c — specs past one message (aerie/proto/cm.h, CM_CREATE with
 * a Memory object): the longest a spec may be reaches its program intact,
 * and every misuse of the Memory path (a length past the object or the
 * bound, another kind of capability, no READ, extra words, NULs and
 * garbage) is refused with its reason while cm goes on serving.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <aerie/errors.h>
#include <aerie/objects.h>
#include <aerie/proto/cm.h>
#include <libaerie/invoke.h>
#include <libaerie/runtime.h>
#include <libaerie/syscall.h>
#include "cmtest.h"

/* A Memory object of bytes holding n bytes of t from offset 0. */
static uint64_t text_memory(const char *t, size_t n, uint64_t bytes)
{
    uint64_t m = ae_slot_alloc(), va = ae_vm_reserve(bytes);
    if (!m || !va || ae_quota_create(ae_self.quota, AERIE_OBJ_MEMORY, m, bytes, 0, 0))
        return 0;
    if (ae_task_map(ae_self.task, m, 0, va, bytes, AERIE_MAP_R | AERIE_MAP_W) == 0) {
        memcpy((void *)va, t, n);
        ae_task_unmap(ae_self.task, va, bytes);
    }
    ae_vm_release(va, bytes);
    return m;
}

static void drop(uint64_t slot)
{
    ae_cap_delete(slot);
    ae_slot_free(slot);
}

/* CM_CREATE by hand: word 0 len, nwords words, cap (0: none). Returns the
 * status, the message in err; a container made is removed. */
static int raw_create(uint64_t len, unsigned nwords, uint64_t cap, char *err, size_t errlen)
{
    struct aerie_utcb *u = ae_utcb();
    u->mr[0] = len;
    for (unsigned i = 1; i < nwords; i++)
        u->mr[i] = 0x6161616161616161ull;
    u->caps[0] = (uint32_t)cap;
    int64_t r = ae_call(cmcap, AERIE_INFO(CM_CREATE, nwords, cap ? 1 : 0), AERIE_TIMEOUT_FOREVER);
    if (r < 0)
        return (int)r;
    uint64_t label = AERIE_INFO_LABEL((uint64_t)r);
    int status = label ? proto_status_of(label) : (int)(int64_t)u->mr[0];
    err[0] = 0;
    if (status && AERIE_INFO_NWORDS((uint64_t)r) >= 2 && u->mr[1] < errlen) {
        memcpy(err, &u->mr[2], u->mr[1]);
        err[u->mr[1]] = 0;
    }
    if (!status)
        ae_cm_remove(cmcap, u->mr[1]);
    return status;
}

static const char *expect(const char *what, int r, int want, const char *err, const char *needle)
{
    static char why[300];
    if (r == want && strstr(err, needle))
        return NULL;
    snprintf(why, sizeof why, "%s: %d '%s', expected %d '%s'", what, r, err, want, needle);
    return why;
}

/* The longest spec: 256 arguments (one of 16000 bytes), 64 environment
 * variables, reaches hello whole. */
static const char *long_spec_reaches_the_program(void)
{
    static char spec[CM_SPEC_MAX + 1];
    size_t n = (size_t)sprintf(spec, "image=hello args=");
    for (int i = 0; i < 16000; i++)
        spec[n++] = (char)('a' + i % 26);
    unsigned long bytes = 16000, sum = 0;
    for (int i = 0; i < 16000; i++)
        sum = sum * 31 + (unsigned char)('a' + i % 26);
    for (int i = 1; i < SPEC_MAX_ARGS_CM; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%d", i);
        n += (size_t)sprintf(spec + n, " args=%s", w);
        bytes += strlen(w);
        for (const char *p = w; *p; p++)
            sum = sum * 31 + (unsigned char)*p;
    }
    for (int i = 0; i < 64; i++)
        n += (size_t)sprintf(spec + n, " env=LONG%d=a-long-environment-variable-number-%d", i, i);
    struct ae_cm_status st;
    static char log[2000];
    int r = run(spec, &st, log, sizeof log, 0);
    if (r || st.state != CM_EXITED || st.exit_status != 0)
        return "the longest spec did not run to a clean end";
    char want[300];
    snprintf(want, sizeof want, "hello: %d arguments, %lu bytes, sum %lu, last 'w255'; 64 environment strings, "
             "last '%.40s'", SPEC_MAX_ARGS_CM, bytes, sum, "LONG63=a-long-environment-variable-number-63");
    if (!strstr(log, want)) {
        static char why[600];
        snprintf(why, sizeof why, "hello said '%.300s', expected '%s'", log, want);
        return why;
    }
    return NULL;
}

static const char *memory_misuse_is_refused(void)
{
    char err[200];
    const char *f;
    static const char good[] = "image=hello";
    uint64_t m = text_memory(good, sizeof good - 1, 4096);
    if (!m)
        return "no Memory object for the test";
    /* the length past the object, past the bound, absurd */
    if ((f = expect("length past the object", raw_create(5000, 1, m, err, sizeof err), AE_ERANGE, err,
                    "past the end of its Memory object (4096 bytes)")))
        return f;
    if ((f = expect("length past the bound", raw_create(CM_SPEC_MAX + 1, 1, m, err, sizeof err), AE_EMSGSIZE,
                    err, "longer than the 65536 a spec may have")))
        return f;
    if ((f = expect("huge length", raw_create(1ull << 62, 1, m, err, sizeof err), AE_EMSGSIZE, err,
                    "longer than the 65536")))
        return f;
    /* words beside the capability */
    if ((f = expect("extra words", raw_create(11, 3, m, err, sizeof err), AE_EPROTO, err, "word 0")))
        return f;
    /* a capability without READ */
    uint64_t wo = ae_slot_alloc();
    ae_cap_copy(m, wo, AERIE_R_WRITE, 0);
    f = expect("no READ", raw_create(11, 1, wo, err, sizeof err), AE_ERIGHTS, err, "lacks READ");
    drop(wo);
    if (f)
        return f;
    /* another kind of object */
    uint64_t nt = ae_slot_alloc();
    if (ae_quota_create(ae_self.quota, AERIE_OBJ_NOTIFICATION, nt, 0, 0, 0))
        return "no notification for the test";
    f = expect("a notification", raw_create(11, 1, nt, err, sizeof err), AE_EINVAL, err, "not a Memory object");
    drop(nt);
    if (f)
        return f;
    /* the right object and length: it runs (and is removed) */
    if ((f = expect("the good one", raw_create(11, 1, m, err, sizeof err), 0, err, "")))
        return f;
    /* no capability and a length past the words: the inline path's refusal */
    if ((f = expect("inline too long", raw_create(4000, 1, 0, err, sizeof err), AE_EPROTO, err,
                    "longer than one message")))
        return f;
    drop(m);
    /* NULs and garbage in a long one */
    static char junk[40000];
    memset(junk, 'z', sizeof junk);
    memcpy(junk, "image=hello args=", 17);
    junk[30000] = 0;
    m = text_memory(junk, sizeof junk, 40960);
    f = expect("a NUL inside", raw_create(sizeof junk, 1, m, err, sizeof err), AE_EINVAL, err, "NUL");
    drop(m);
    if (f)
        return f;
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(rand() & 0xff);
    m = text_memory(junk, sizeof junk, 40960);
    int r = raw_create(sizeof junk, 1, m, err, sizeof err);
    drop(m);
    if (r != AE_EINVAL || strncmp(err, "spec: ", 6))
        return "random bytes were not refused as a spec";
    /* a zero-length object's worth: empty text */
    m = text_memory("", 0, 4096);
    f = expect("empty", raw_create(0, 1, m, err, sizeof err), AE_EINVAL, err, "image: '' is required");
    drop(m);
    if (f)
        return f;
    /* and cm serves on */
    struct ae_cm_status st;
    if (run("image=hello", &st, NULL, 0, 0) || st.state != CM_EXITED)
        return "cm did not serve after the misuse";
    return NULL;
}

const struct cm_image_test cm_longspec_tests[] = {
    { "cm_long_spec_reaches_the_program", long_spec_reaches_the_program },
    { "cm_spec_memory_misuse_is_refused", memory_misuse_is_refused },
    { NULL, NULL },
};
